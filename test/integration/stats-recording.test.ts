import { expect } from 'chai';
import request from 'supertest';
import type { SingleClient } from '../../src/platform/redis.ts';
import { createTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';

const SERVICE = 'museo-tessuto-biglietti';
const today = () => new Date().toISOString().slice(0, 10);
const month = () => today().slice(0, 7);

/** Every stats key of a gateway, with its content as text (hash fields and values, or the raw value). */
async function statsDump(gw: TestGateway): Promise<{ keys: string[]; text: string }> {
  const client = gw.redis.client as SingleClient;
  const keys: string[] = [];
  for await (const found of client.scanIterator({ MATCH: `${gw.config.redis.prefix}stats:*`, COUNT: 500 }))
    keys.push(...found);
  const parts = await Promise.all(
    keys.map(async (key) =>
      (await client.type(key)) === 'hash'
        ? JSON.stringify(await client.hGetAll(key))
        : String(await client.get(key)),
    ),
  );
  return { keys, text: keys.join('\n') + parts.join('\n') };
}

describe('usage statistics: recording', () => {
  describe('one gateway', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await createTestGateway();
    });
    after(() => gw.close());

    it('counts logins, searches, sheet views and deep links per day, hour and month, and nothing about who', async () => {
      const agent = request.agent(gw.app);
      const login = await agent.get('/__test/login?fiscalCode=RSSMRA80A01H501U&level=2').expect(200);
      const sessionId = decodeURIComponent(
        String((login.headers['set-cookie'] as unknown as string[])[0])
          .split(';')[0]!
          .split('=')[1]!,
      )
        .slice(2)
        .split('.')[0]!;
      await agent.get('/services?q=museo').expect(200);
      await agent.get('/services?q=Zzqxv+W%C3%BCffle%21').expect(200);
      await agent.get(`/services/${SERVICE}`).expect(200);
      await request(gw.app).get(`/services/${SERVICE}`).expect(200);
      await agent.get(`/go/${SERVICE}`).expect(303);
      await agent.get('/go/non-esiste').expect(404);
      await gw.deps.stats.flush();

      const counts = await gw.deps.stats.reader.counts({ from: today(), to: today() });
      const sheetField = [...counts.keys()].find((f) => f.startsWith('sheet|') && f.endsWith(`|${SERVICE}`));
      expect(sheetField, 'sheet counter').to.be.a('string');
      expect(counts.get(sheetField!)).to.equal(2);
      expect(counts.get(sheetField!.replace('sheet|', 'deeplink|'))).to.equal(1);
      expect(counts.get('login|spid|2|success')).to.equal(1);
      expect(counts.get('search|found')).to.equal(1);
      expect(counts.get('search|none')).to.equal(1);

      // The whole month reads the monthly rollup: the same numbers.
      const wholeMonth = await gw.deps.stats.reader.counts({
        from: `${month()}-01`,
        to: `${month()}-31`.replace(/-3[01]$/, '-28'),
      });
      expect(wholeMonth.get('login|spid|2|success')).to.equal(1);
      const hours = await gw.deps.stats.reader.hours(today());
      const hour = new Date().toISOString().slice(11, 13);
      expect(hours.get(`${hour}|login|spid|2|success`)).to.equal(1);

      // The term that found nothing is kept normalised, with one (hashed) visitor.
      const terms = await gw.deps.stats.reader.zeroResultTerms(month());
      expect(terms).to.deep.equal([{ term: 'zzqxv wuffle', searches: 1, visitors: 1 }]);

      // Nothing in any stats key names the citizen, the session or the client address.
      const { keys, text } = await statsDump(gw);
      expect(keys.length).to.be.greaterThan(3);
      for (const secret of ['RSSMRA80A01H501U', 'Mario', 'Rossi', '127.0.0.1', sessionId])
        expect(text, secret).not.to.include(secret);
      for (const key of keys) expect(await gw.redis.client.ttl(key), key).to.be.greaterThan(0);
    });

    it('never keeps a search term that could be personal data', async () => {
      for (const q of ['RSSMRA80A01H501U', 'mario.rossi@example.it', 'pratica 1234567'])
        await request(gw.app)
          .get(`/services?q=${encodeURIComponent(q)}`)
          .expect(200);
      await gw.deps.stats.flush();
      const { text } = await statsDump(gw);
      for (const secret of ['rssmra80a01h501u', 'RSSMRA80A01H501U', 'mario', 'example', '1234567'])
        expect(text, secret).not.to.include(secret);
    });
  });

  it('counts nothing with recording off', async () => {
    const gw = await createTestGateway({ stats: { recording: false } });
    try {
      await request(gw.app).get(`/services/${SERVICE}`).expect(200);
      await request(gw.app).get('/services?q=zzqxv').expect(200);
      await gw.deps.stats.flush();
      expect((await statsDump(gw)).keys).to.deep.equal([]);
    } finally {
      await gw.close();
    }
  });

  describe('two gateway instances on one Redis', () => {
    let a: TestGateway;
    let b: TestGateway;
    before(async () => {
      const config = testConfig();
      a = await createTestGateway({}, config);
      b = await createTestGateway({}, config);
    });
    after(async () => {
      await b.close();
      await a.close();
    });

    it('adds up exactly under concurrency', async () => {
      const views = (gw: TestGateway) =>
        Array.from({ length: 40 }, () => request(gw.app).get(`/services/${SERVICE}`).expect(200));
      await Promise.all([...views(a), ...views(b)]);
      await Promise.all([a.deps.stats.flush(), b.deps.stats.flush()]);
      const counts = await a.deps.stats.reader.counts({ from: today(), to: today() });
      const field = [...counts.keys()].find((f) => f.startsWith('sheet|') && f.endsWith(`|${SERVICE}`));
      expect(counts.get(field!)).to.equal(80);
    });
  });
});
