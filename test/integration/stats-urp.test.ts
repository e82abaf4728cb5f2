import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { SingleClient } from '../../src/platform/redis.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

const CITIZEN = 'RSSMRA80A01H501U';
const COMUNE = 'c_g999';
const TEXT = 'Il lampione di via Roma 12 è spento da una settimana.';
const today = () => new Date().toISOString().slice(0, 10);

describe("usage statistics: the URP desk's requests", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  it('counts requests received per body and their first answers with the time taken, nothing about who or what', async () => {
    const desk = gw.deps.participation.urp;
    // The demo's own requests (seeded at start) are counted too: compare before and after.
    await gw.deps.stats.flush();
    const before = await gw.deps.stats.reader.counts({ from: today(), to: today() });
    const added = (after: Map<string, number>, field: string) =>
      (after.get(field) ?? 0) - (before.get(field) ?? 0);
    const fields = (body: string) => ({ kind: 'report' as const, topic: 'roads' as const, body, text: TEXT });
    const actor = { role: 'body' as const, fiscalCode: 'VRDLGU75B02D612X', body: COMUNE };
    const filed = [];
    for (let i = 0; i < 11; i++) filed.push(await desk.fileForCitizen(CITIZEN, fields(COMUNE), 'it'));
    await desk.fileForCitizen(CITIZEN, fields('unknown'), 'it');
    for (const r of filed.slice(0, 10)) await desk.answer(r, actor, 'Risposta.');
    // A second answer to the same request is not a first answer.
    await desk.answer((await desk.store.get(filed[0]!.ref))!, actor, 'Ancora.');
    await gw.deps.stats.flush();

    const counts = await gw.deps.stats.reader.counts({ from: today(), to: today() });
    expect(added(counts, `urp|${COMUNE}|received`)).to.equal(11);
    expect(added(counts, 'urp|urp|received')).to.equal(1);
    expect(added(counts, `urp|${COMUNE}|answered|0`)).to.equal(10);
    expect(added(counts, `urp|${COMUNE}|overdue`)).to.equal(0);

    const $ = cheerio.load((await request(gw.app).get('/statistiche').expect(200)).text);
    const row = $('#chart-urp')
      .closest('section')
      .find('tbody tr')
      .filter((_i, tr) => $(tr).find('th').text() === 'Comune di Prato');
    const received = counts.get(`urp|${COMUNE}|received`) ?? 0;
    expect(row.find('td').first().text()).to.equal(received.toLocaleString('it'));

    const client = gw.redis.client as SingleClient;
    let text = '';
    for await (const keys of client.scanIterator({ MATCH: `${gw.config.redis.prefix}stats:*` }))
      for (const key of keys)
        text += key + ((await client.type(key)) === 'hash' ? JSON.stringify(await client.hGetAll(key)) : '');
    for (const secret of [CITIZEN, 'lampione', filed[0]!.ref, 'VRDLGU75B02D612X'])
      expect(text).not.to.include(secret);
  });
});
