import type { RecordEvent } from '../stats/events.ts';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { CitizenIdentity, Level } from '../identity/citizen.ts';
import { NotFoundError } from '../platform/errors.ts';
import type { Language } from '../platform/i18n.ts';
import { createPageCache } from '../platform/page-cache.ts';
import { renderPage } from '../platform/views.ts';
import type { Catalog } from './catalog.module.ts';
import { linkAttributes, serviceEntryUrl } from './deep-link.ts';
import { checkServiceLinks } from './link-policy.ts';
import {
  LIFE_EVENTS,
  REQUIRED_LEVELS,
  TOPICS,
  ipaCode,
  levelNumber,
  serviceId,
  type Service,
} from './model.ts';
import { catalogCsv, catalogJsonLd } from './open-data.ts';
import {
  addDays,
  dayOf,
  deskCalendar,
  localMoment,
  maintenanceAt,
  onlineNow,
  openState,
  opensOn,
  romeInstant,
} from './desk-calendar.ts';
import {
  createAvailabilityNow,
  createSheetParts,
  serviceAvailability,
  serviceDesk,
  serviceSummary,
} from './presenters.ts';
import type { CatalogReads } from './search-index.ts';
import { parseInput } from './validation.ts';

const PAGE_SIZE = 20;

/** The search query string. Empty fields (the forms' "All") count as absent. */
const searchQuerySchema = z.strictObject({
  q: z.string().max(200).optional(),
  body: ipaCode.optional(),
  topic: z.enum(TOPICS).optional(),
  event: z.enum(LIFE_EVENTS).optional(),
  level: z.enum(REQUIRED_LEVELS).optional(),
  /** Services that can be used now: online and not down for maintenance, or with their desk open. */
  open: z.literal('now').optional(),
  /** Services that can be used on a day, from today to a year ahead (the network's calendar). */
  openOn: z.iso
    .date()
    .refine((day) => {
      const today = localMoment(new Date()).date;
      return day >= today && day <= addDays(today, 366);
    }, 'a day from today to a year ahead')
    .optional(),
  page: z.coerce.number().int().min(1).max(500).default(1),
});

/** A day's first and last instants on the network's clock (23, 24 or 25 hours apart). */
function romeDayBounds(date: string): { from: number; to: number } {
  return {
    from: romeInstant(date, '00:00').getTime(),
    to: romeInstant(addDays(date, 1), '00:00').getTime() - 1,
  };
}

const withoutEmpty = (query: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));

type StepUp = (level: Level) => (req: Request, res: Response, next: NextFunction) => void;

/**
 * What another module adds to the home page (the procedures on offer): locals that depend on the page's
 * language alone, fixed while the process runs, so the copy kept for anonymous visitors stays right.
 */
export type HomeLocals = (lang: Language) => Record<string, unknown>;

/**
 * What another module adds to an information sheet (its ratings): locals, and a version of them that
 * the copy kept for anonymous visitors is keyed on.
 */
export type SheetLocals = (
  service: Pick<Service, 'id' | 'bodyId'>,
) => Promise<{ version: string; locals: Record<string, unknown> }>;

/** Who is told when a logged-in citizen follows a deep link (the ratings record a use). */
export type DeepLinkListener = (
  fiscalCode: string,
  service: Pick<Service, 'id' | 'bodyId'>,
) => Promise<unknown>;

export function createCatalogController(deps: {
  catalog: Catalog;
  publicUrl: string;
  demo: boolean;
  requireLevel: StepUp;
  homeLocals?: readonly HomeLocals[];
  sheetLocals?: SheetLocals | undefined;
  deepLinkFollowed?: readonly DeepLinkListener[];
  /** Told of searches, sheet views and deep links, without who (the usage statistics). */
  record?: RecordEvent;
  /** The network's territory: its municipality comes first among services of the same title. */
  territory?: string;
}) {
  const { index, citizenServices } = deps.catalog;
  const langOf = (res: Response) => res.locals.lang as Language;
  const citizenOf = (req: Request): CitizenIdentity | undefined => req.session.citizen;
  const pages = createPageCache({ maxKeys: 1000 });
  const availabilityNow = createAvailabilityNow();
  const sheetParts = createSheetParts(deps.publicUrl, availabilityNow);

  /**
   * The bodies listed first among services of one title. The gateway knows no citizen's residence (no
   * identity provider attribute is asked for it), so it is the network's order: the municipality of the
   * network's own territory.
   */
  function preferredBodies(catalog: CatalogReads): string[] {
    const territory = deps.territory?.toLocaleLowerCase('it');
    return catalog
      .approvedBodies()
      .filter((b) => b.kind === 'municipality' && b.territory.toLocaleLowerCase('it') === territory)
      .map((b) => b.ipaCode);
  }

  /** Services as summaries, with their bodies from the same reads of the catalog, and whether they are open. */
  function summaries(catalog: CatalogReads, services: Service[], lang: Language, instant = new Date()) {
    const bodies = new Map(catalog.approvedBodies().map((b) => [b.ipaCode, b]));
    return services.map((s) => {
      const body = bodies.get(s.bodyId);
      return serviceSummary(s, body, lang, availabilityNow(s, body, catalog.version, lang, instant));
    });
  }

  /**
   * The search's "open now" or "open on a day" as a test of a service: its online channel is up (for a
   * day: not down for maintenance all of it), or its desk opens (now: is open).
   */
  function usableFilter(
    catalog: CatalogReads,
    query: { open?: 'now' | undefined; openOn?: string | undefined },
    lang: Language,
    instant: Date,
  ): ((service: Service) => boolean) | undefined {
    if (!query.open && !query.openOn) return undefined;
    const bodies = new Map(catalog.approvedBodies().map((b) => [b.ipaCode, b]));
    const now = localMoment(instant);
    const day = query.openOn ? dayOf(query.openOn) : undefined;
    const dayStart = day && romeDayBounds(day.date);
    return (service) => {
      const body = bodies.get(service.bodyId);
      const calendar = deskCalendar(serviceDesk(service, body).openingHours, body);
      const online = service.channels.includes('online');
      if (day && dayStart) {
        const downAllDay = service.availability.maintenance.some(
          (w) => Date.parse(w.from) <= dayStart.from && Date.parse(w.to) >= dayStart.to,
        );
        return (online && !downAllDay) || (calendar.weekly.length > 0 && opensOn(calendar, day, lang));
      }
      return (
        onlineNow(service, instant) || (calendar.weekly.length > 0 && openState(calendar, now, lang).open)
      );
    };
  }

  /** The 404 page of an unknown or withdrawn service, with a search box to find it again. */
  function serviceNotFound(req: Request, res: Response) {
    if (!req.accepts('html')) throw new NotFoundError('service_not_found');
    res.status(404);
    renderPage(req, res, 'catalog/not-found', { query: {} });
  }

  /** Every published service, and the approved bodies by IPA code (open data). */
  async function openData() {
    const [services, bodies] = await Promise.all([index.allPublished(), index.approvedBodies()]);
    return { services, byId: new Map(bodies.map((b) => [b.ipaCode, b])) };
  }

  async function publishedOr404(req: Request<{ serviceId: string }>) {
    const id = serviceId.safeParse(req.params.serviceId);
    return id.success ? index.published(id.data) : undefined;
  }

  return {
    async home(req: Request, res: Response) {
      const lang = langOf(res);
      const citizen = citizenOf(req);
      // The catalog is brought up to date once for the page (one GET of its version, not one per
      // read), and a citizen's favourites and recent services are read with it, not after it.
      const [catalog, favouriteIds, recentIds] = await Promise.all([
        index.current(),
        citizen ? citizenServices.favourites(citizen.fiscalCode) : [],
        citizen ? citizenServices.recent(citizen.fiscalCode) : [],
      ]);
      const { topics, lifeEvents: events, version } = catalog.facets();
      const favourites = summaries(catalog, catalog.publishedAmong(favouriteIds), lang);
      const recent = summaries(catalog, catalog.publishedAmong(recentIds), lang);
      const locals = () => ({
        ...Object.assign({}, ...(deps.homeLocals ?? []).map((extra) => extra(lang))),
        lifeEvents: LIFE_EVENTS.filter((e) => events.has(e)),
        topics: TOPICS.filter((t) => topics.has(t)),
        query: {},
        favourites,
        recent,
      });
      // A visitor who is not logged in sees what every such visitor sees in that language: the topics
      // and life events of this catalog version, and the other modules' locals (fixed at start).
      if (!citizen && req.originalUrl === '/')
        return pages.send(req, res, {
          key: `home:${lang}`,
          version: String(version),
          view: 'home/home',
          locals,
        });
      renderPage(req, res, 'home/home', locals());
    },

    async search(req: Request, res: Response) {
      const query = parseInput(searchQuerySchema, withoutEmpty(req.query as Record<string, unknown>), 400);
      const lang = langOf(res);
      // One refresh of the index for the results, their bodies and the body filter.
      const catalog = await index.current();
      const instant = new Date();
      const accept = usableFilter(catalog, query, lang, instant);
      const { total, hits } = catalog.search({
        ...query,
        ...(accept && { accept }),
        preferBodies: preferredBodies(catalog),
        offset: (query.page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      const results = summaries(
        catalog,
        hits.map((h) => h.service),
        lang,
        instant,
      );
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      // Only the first page is a search; the terms that found nothing are counted per visitor, who is
      // kept as a keyed daily hash (src/stats/stats.recorder.ts), never as the address itself.
      if (query.page === 1)
        deps.record?.(
          total === 0
            ? { kind: 'search', zeroResults: true, term: query.q, visitor: req.ip ?? '' }
            : { kind: 'search', zeroResults: false },
        );
      res.vary('Accept');
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ total, page: query.page, pages, results });
        return;
      }
      const bodies = catalog.approvedBodies().sort((a, b) => a.name[lang].localeCompare(b.name[lang], lang));
      renderPage(req, res, 'catalog/search', {
        query,
        total,
        pages,
        results,
        bodies,
        topics: TOPICS,
        lifeEvents: LIFE_EVENTS,
      });
    },

    async infoSheet(req: Request<{ serviceId: string }>, res: Response) {
      const citizen = citizenOf(req);
      // For a citizen, whether the service is a favourite is asked together with the catalog version:
      // after the session's, the sheet waits for one round trip to Redis. (Handled here too, so that an
      // unknown service's answer, left unread, cannot go unhandled.)
      const id = serviceId.safeParse(req.params.serviceId);
      const isFavourite =
        citizen && id.success ? citizenServices.isFavourite(citizen.fiscalCode, id.data) : false;
      if (isFavourite) isFavourite.catch(() => undefined);
      const found = id.success ? await index.publishedWithBody(id.data) : undefined;
      if (!found) return serviceNotFound(req, res);
      const { service, body, version } = found;
      deps.record?.({ kind: 'sheet', service: service.id, body: service.bodyId });
      const lang = langOf(res);
      const [favourite, extra] = await Promise.all([
        isFavourite,
        deps.sheetLocals?.(service) ?? { version: '', locals: {} },
      ]);
      // Open or closed, and maintenance, are of this moment: the kept copy is of the catalog version and
      // of what they say now, so it changes when the desk opens or closes.
      const { availability, access, desk, jsonLd } = sheetParts(service, body, version, lang, new Date());
      const locals = () => ({
        service,
        body,
        availability,
        access,
        desk,
        jsonLd,
        favourite,
        query: {},
        ...extra.locals,
      });
      // The sheet at its own address is the same for every anonymous visitor: kept per catalog version,
      // which names the service and its body.
      if (!citizen && req.originalUrl === `/services/${service.id}`)
        return pages.send(req, res, {
          key: `sheet:${service.id}`,
          version: `${version}:${JSON.stringify(availability)}:${extra.version}`,
          view: 'catalog/service',
          locals,
        });
      renderPage(req, res, 'catalog/service', locals());
    },

    async toggleFavourite(req: Request<{ serviceId: string }>, res: Response) {
      const service = await publishedOr404(req);
      const citizen = citizenOf(req);
      if (!service || !citizen) throw new NotFoundError('service_not_found');
      await citizenServices.toggleFavourite(citizen.fiscalCode, service.id);
      res.redirect(303, `/services/${service.id}`);
    },

    /**
     * Deep link: step up when the session's level is below the service's, then a 303 to the service's
     * registered URL only (never a value from the request; for a single-sign-on service, its registered
     * login start), counted for the statistics.
     */
    async go(req: Request<{ serviceId: string }>, res: Response, next: NextFunction) {
      const service = await publishedOr404(req);
      if (!service) return serviceNotFound(req, res);
      // Down for maintenance: say so and until when, rather than send the citizen into the body's error.
      const down = maintenanceAt(service.availability.maintenance, new Date());
      if (down) {
        const body = await index.body(service.bodyId);
        res
          .status(503)
          .set('Retry-After', String(Math.max(1, Math.ceil((Date.parse(down.to) - Date.now()) / 1000))));
        return renderPage(req, res, 'catalog/unavailable', {
          service,
          body,
          availability: serviceAvailability(service, body, new Date(), langOf(res)),
          query: {},
        });
      }
      const needed = levelNumber(service.requiredLevel);
      const citizen = citizenOf(req);
      if (needed > 0 && (!citizen || citizen.level < needed)) {
        return deps.requireLevel(needed as Level)(req, res, next);
      }
      const body = await index.body(service.bodyId);
      if (!body) return serviceNotFound(req, res);
      // Checked again here, not only when written: a body's domains may have changed since.
      checkServiceLinks(service, body, { demo: deps.demo, gatewayOrigin: new URL(deps.publicUrl).origin });
      // A single-sign-on service is entered through its login start, so the citizen arrives identified.
      const target = serviceEntryUrl(service, linkAttributes(citizen, langOf(res)), deps.publicUrl);
      deps.record?.({ kind: 'deeplink', service: service.id, body: service.bodyId });
      if (citizen) {
        await citizenServices.recordUse(citizen.fiscalCode, service.id, Date.now());
        for (const listener of deps.deepLinkFollowed ?? []) await listener(citizen.fiscalCode, service);
      }
      res.redirect(303, target.href);
    },

    async exportJsonLd(req: Request, res: Response) {
      const { services, byId } = await openData();
      res.type('application/ld+json').send(JSON.stringify(catalogJsonLd(services, byId, deps.publicUrl)));
    },

    async exportCsv(req: Request, res: Response) {
      const { services, byId } = await openData();
      res.attachment('catalog.csv');
      res.type('text/csv; charset=utf-8').send(catalogCsv(services, byId, deps.publicUrl));
    },
  };
}

export type CatalogController = ReturnType<typeof createCatalogController>;
