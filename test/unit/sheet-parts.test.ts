import { expect } from 'chai';
import {
  createAvailabilityNow,
  createSheetParts,
  serviceAvailability,
  serviceDesk,
} from '../../src/catalog/presenters.ts';
import { readSeedCatalog } from '../../src/demo/catalog-seed.ts';
import type { Body, Service } from '../../src/catalog/model.ts';

const GATEWAY = 'https://varco.example.it';
const seed = readSeedCatalog('config/catalog');
const UPDATED = '2026-11-01T00:00:00Z';
const services: Service[] = seed.services.map(({ body, ...service }) => ({
  ...service,
  bodyId: body,
  status: 'published',
  updatedAt: UPDATED,
}));
const bodies: Body[] = seed.bodies.map((body) => ({
  ...body,
  status: 'approved',
  updatedAt: UPDATED,
}));
const bodyOf = (service: Service) => bodies.find((b) => b.ipaCode === service.bodyId);

/** Instants from `from`, every `stepMs`, `count` of them. */
const instants = (from: string, stepMs: number, count: number) =>
  Array.from({ length: count }, (_, i) => new Date(Date.parse(from) + i * stepMs));

describe("an information sheet's parts worked out once per catalog version and minute", () => {
  const deskService = services.find((s) => serviceDesk(s, bodyOf(s)).openingHours.length > 0) as Service;

  it('says at every instant what working it out afresh says, across a desk opening and closing', () => {
    const parts = createSheetParts(GATEWAY, createAvailabilityNow());
    // A working day in Rome, every 7 seconds from 07:55 to 09:05 and at the lunch and evening closings.
    const days = [
      ...instants('2026-12-09T06:55:00Z', 7_000, 600),
      ...instants('2026-12-09T11:58:00Z', 5_000, 60),
      ...instants('2026-12-09T16:58:00Z', 5_000, 60),
    ];
    for (const instant of days)
      for (const lang of ['it', 'en'] as const)
        expect(
          parts(deskService, bodyOf(deskService), 1, lang, instant).availability,
          instant.toISOString(),
        ).to.deep.equal(serviceAvailability(deskService, bodyOf(deskService), instant, lang));
  });

  it('notices a maintenance window that starts or ends within a minute, to the second', () => {
    const parts = createSheetParts(GATEWAY, createAvailabilityNow());
    const online: Service = {
      ...deskService,
      availability: {
        ...deskService.availability,
        maintenance: [{ from: '2026-12-09T10:00:30+01:00', to: '2026-12-09T10:02:15+01:00' }],
      },
    };
    for (const instant of instants('2026-12-09T08:59:00Z', 1_000, 240)) {
      const got = parts(online, bodyOf(online), 7, 'it', instant).availability;
      expect(got, instant.toISOString()).to.deep.equal(
        serviceAvailability(online, bodyOf(online), instant, 'it'),
      );
    }
    const during = parts(online, bodyOf(online), 7, 'it', new Date('2026-12-09T09:00:31Z'));
    expect(during.availability.maintenance.now).to.not.equal(undefined);
  });

  it('works out again what a new catalog version changed, and keeps the languages apart', () => {
    const parts = createSheetParts(GATEWAY, createAvailabilityNow());
    const at = new Date('2026-12-09T09:00:00Z');
    const before = parts(deskService, bodyOf(deskService), 1, 'it', at);
    const renamed: Service = { ...deskService, title: { it: 'Un altro titolo', en: 'Another title' } };
    expect(parts(renamed, bodyOf(renamed), 1, 'it', at).jsonLd).to.equal(before.jsonLd);
    expect(parts(renamed, bodyOf(renamed), 2, 'it', at).jsonLd).to.contain('Un altro titolo');
    expect(parts(renamed, bodyOf(renamed), 2, 'en', at).jsonLd).to.contain('Another title');
  });

  it('stays bounded however many services and versions it meets', () => {
    const parts = createSheetParts(GATEWAY, createAvailabilityNow(10), 10);
    const at = new Date('2026-12-09T09:00:00Z');
    for (let version = 0; version < 100; version++)
      parts(deskService, bodyOf(deskService), version, 'it', at);
    // Nothing to observe but that it still answers as afresh after being cleared many times.
    expect(parts(deskService, bodyOf(deskService), 100, 'en', at).availability).to.deep.equal(
      serviceAvailability(deskService, bodyOf(deskService), at, 'en'),
    );
  });
});
