import { expect } from 'chai';
import request from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { processTerm, tokenize } from '../../src/catalog/search-text.ts';
import { testBody, testService } from './catalog-fixtures.ts';

interface Result {
  id: string;
  title: string;
  body: { ipaCode: string };
  requiredLevel: string;
  topics: string[];
  lifeEvents: string[];
}

describe('catalog search (Italian-aware, on the demo catalog)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  async function search(query: Record<string, string>, lang = 'it') {
    const res = await request(gw.app)
      .get('/services')
      .query(query)
      .set('Accept', 'application/json')
      .set('Accept-Language', lang)
      .expect(200);
    return res.body as { total: number; results: Result[] };
  }

  const firstId = async (q: string) => (await search({ q })).results[0]?.id ?? '';

  it('folds accents and stems Italian words the same way on both sides', () => {
    expect(tokenize("Carta d'identità").map(processTerm)).to.deep.equal(['cart', null, 'identit']);
    expect(processTerm('certificati')).to.equal(processTerm('certificato'));
    expect(processTerm('nidi')).to.equal(processTerm('nido'));
    expect(processTerm('iscrizioni')).to.equal(processTerm('iscrizione'));
  });

  const relevance: Array<[string, RegExp]> = [
    ['carta identita', /carta-identita-elettronica$/],
    ["carta d'identità", /carta-identita-elettronica$/],
    ['asilo nido', /iscrizione-asilo-nido$/],
    ['tari', /-tari$/],
    ['certificato di nascita', /certificato-nascita$/],
    ['cambio residenza', /cambio-residenza$/],
    ['cerificato nascita', /certificato-nascita$/],
    ['cambio residnza', /cambio-residenza$/],
    ['pediatra', /^usl-scelta-pediatra$/],
    ['assegno unico', /^inps-assegno-unico$/],
    ['identity card', /carta-identita-elettronica$/],
  ];
  for (const [q, expected] of relevance) {
    it(`"${q}" finds the right service first`, async () => {
      expect(await firstId(q)).to.match(expected);
    });
  }

  it('puts the service whose title was typed first, above services that only list it as a keyword', async () => {
    expect(await firstId('certificati anagrafici')).to.equal('prato-certificati-anagrafici');
    expect(await firstId('Certificati anagrafici online')).to.equal('prato-certificati-anagrafici');
  });

  it('does not list services that share one unrelated word with the query', async () => {
    const found = await search({ q: "carta d'identità" });
    expect(found.results.length).to.be.greaterThan(0);
    expect(found.results.every((r) => /carta-identita-elettronica$/.test(r.id))).to.equal(true);
    expect(found.total).to.equal(found.results.length);
  });

  it("lists the network's own municipality first among services of the same title", async () => {
    const found = await search({ q: 'certificato di nascita' });
    const births = found.results.filter((r) => r.title === 'Certificato di nascita');
    expect(births.length).to.be.greaterThan(5);
    expect(births[0]?.id).to.equal('prato-certificato-nascita');
    // Contiguous: the same service of several municipalities is not split by others.
    const at = found.results.map((r) => r.title === 'Certificato di nascita');
    expect(at.slice(at.indexOf(true), at.indexOf(true) + births.length).every(Boolean)).to.equal(true);
    expect(await firstId('carta identita')).to.equal('prato-carta-identita-elettronica');
  });

  it('matches prefixes while typing', async () => {
    expect(await firstId('pedia')).to.equal('usl-scelta-pediatra');
    expect(await firstId('matrimo')).to.match(/matrimonio-unioni-civili$/);
  });

  it('filters by body, topic, life event and level', async () => {
    const byBody = await search({ q: 'carta identita', body: 'c_l775' });
    expect(byBody.results[0]?.id).to.equal('vernio-carta-identita-elettronica');
    expect(byBody.results.every((r) => r.body.ipaCode === 'c_l775')).to.equal(true);
    const byTopic = await search({ topic: 'health' });
    expect(byTopic.total).to.be.greaterThan(3);
    expect(byTopic.results.every((r) => r.topics.includes('health'))).to.equal(true);
    const byEvent = await search({ event: 'birth' });
    expect(byEvent.results.every((r) => r.lifeEvents.includes('birth'))).to.equal(true);
    const anonymous = await search({ level: 'none' });
    expect(anonymous.total).to.be.greaterThan(5);
    expect(anonymous.results.every((r) => r.requiredLevel === 'none')).to.equal(true);
  });

  it('refuses malformed filters with a 400 and bounds hostile queries', async () => {
    await request(gw.app).get('/services?topic=nope').set('Accept', 'application/json').expect(400);
    await request(gw.app).get('/services?q=a&q=b').set('Accept', 'application/json').expect(400);
    await request(gw.app)
      .get(`/services?q=${'x'.repeat(201)}`)
      .set('Accept', 'application/json')
      .expect(400);
    const long = await search({ q: Array.from({ length: 45 }, (_, i) => `n${i}`).join(' ') });
    expect(long.total).to.be.a('number');
  });

  it('sees a change made through another instance at the next search', async () => {
    const other = await createTestGateway({}, gw.config);
    try {
      const { writer } = other.deps.catalog;
      const actor = { kind: 'system' as const, id: 'test' };
      await writer.putBody(actor, testBody('demo_sync', 'sync.example.it'), {
        status: 'approved',
        editors: [],
      });
      await writer.putService(
        actor,
        'demo_sync',
        'sync-zanzariere',
        testService('sync.example.it', 'Zanzariere comunali'),
      );
      expect((await search({ q: 'zanzariere' })).total).to.equal(0); // a draft is not public
      await writer.setServiceStatus(actor, 'demo_sync', 'sync-zanzariere', 'published');
      expect(await firstId('zanzariere')).to.equal('sync-zanzariere');
      await writer.setServiceStatus(actor, 'demo_sync', 'sync-zanzariere', 'withdrawn');
      expect((await search({ q: 'zanzariere' })).total).to.equal(0);
      await writer.setServiceStatus(actor, 'demo_sync', 'sync-zanzariere', 'published');
      await writer.setBodyStatus(actor, 'demo_sync', 'suspended');
      expect((await search({ q: 'zanzariere' })).total).to.equal(0); // a suspended body's services vanish
    } finally {
      await other.redis.close();
    }
  });
});
