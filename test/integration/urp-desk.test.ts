import { expect } from 'chai';
import type { SingleClient } from '../../src/platform/redis.ts';
import { DEMO_URP_ANSWERER, DEMO_URP_BODY, DEMO_URP_OPERATOR, seedDemoUrp } from '../../src/demo/urp-seed.ts';
import { daysLeft } from '../../src/participation/urp/model.ts';
import type { UrpDesk } from '../../src/participation/urp/urp.service.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

const CITIZEN = 'RSSMRA80A01H501U';
const OPERATOR = 'VRDLGU75B02D612X';
const COMUNE = 'c_g999';
const PROVINCIA = 'p_po';
const TEXT = 'Il lampione di via Roma 12 è spento da una settimana.';

const fields = (over: Record<string, unknown> = {}) => ({
  kind: 'report' as const,
  topic: 'roads' as const,
  body: COMUNE,
  text: TEXT,
  ...over,
});

/** Every key and value under the gateway's URP and citizen keys, as text. */
async function dump(gateway: TestGateway): Promise<string> {
  const client = gateway.redis.client as SingleClient;
  const out: string[] = [];
  for await (const keys of client.scanIterator({ MATCH: `${gateway.config.redis.prefix}*` }))
    for (const key of keys) {
      const type = await client.type(key);
      out.push(key);
      if (type === 'string') out.push((await client.get(key)) ?? '');
      if (type === 'hash') out.push(JSON.stringify(await client.hGetAll(key)));
      if (type === 'list') out.push(...(await client.lRange(key, 0, -1)));
      if (type === 'zset' || type === 'set')
        out.push(JSON.stringify(await client.sendCommand(['TYPE', key])));
    }
  return out.join('\n');
}

describe('URP desk: requests in Redis', () => {
  let gateway: TestGateway;
  let desk: UrpDesk;
  before(async () => {
    gateway = await createTestGateway({
      participation: { urp: { bodyDeadlines: { [PROVINCIA]: { complaint: 10 } } } },
    });
    desk = gateway.deps.participation.urp;
  });
  after(() => gateway.close());

  it('files a request with a reference number, its deadline and the text encrypted under its own key', async () => {
    const request = await desk.fileForCitizen(CITIZEN, fields(), 'it');
    expect(request.ref).to.match(/^URP-\d{4}-\d{6}$/);
    expect(request.status).to.equal('assigned');
    expect(request.deadlineDays).to.equal(30);
    expect(daysLeft(request.dueAt)).to.equal(30);
    const again = await desk.store.get(request.ref);
    expect(again?.text).to.equal(TEXT);
    expect(again?.owner).to.equal(gateway.deps.citizen.ref(CITIZEN));
    expect((await desk.store.thread(request.ref)).map((m) => m.author)).to.deep.equal(['citizen']);
    const stored = await dump(gateway);
    expect(stored).to.not.contain('lampione');
    expect(stored).to.not.contain(CITIZEN);
    expect(stored).to.contain(`urp:{r:${request.ref}}:request`);
    expect((await desk.citizenRequests(CITIZEN)).map((r) => r.ref)).to.include(request.ref);
  });

  it('numbers requests in sequence and gives a body its shorter term for a kind', async () => {
    const a = await desk.fileForCitizen(CITIZEN, fields({ body: 'unknown' }), 'it');
    const b = await desk.fileForCitizen(CITIZEN, fields({ body: PROVINCIA, kind: 'complaint' }), 'en');
    expect(Number(b.ref.slice(-6))).to.equal(Number(a.ref.slice(-6)) + 1);
    expect(a.status).to.equal('received');
    expect(a.assigned).to.equal(undefined);
    expect(b.deadlineDays).to.equal(10);
    expect(desk.deadlineDays(PROVINCIA, 'report')).to.equal(30);
  });

  it('refuses an unknown body and a place outside the area, and accepts a place inside', async () => {
    expect(await desk.problems(fields({ body: 'c_nowhere' }))).to.deep.equal(['body']);
    expect(await desk.problems(fields({ lat: 60, lon: 11 }))).to.deep.equal(['lat']);
    expect(await desk.problems(fields({ lat: 43.88 }))).to.deep.equal(['lat']);
    expect(await desk.problems(fields({ lat: 43.88, lon: 11.1 }))).to.deep.equal([]);
  });

  it('routes, re-routes with the history kept, answers, reopens on a message and closes', async () => {
    await gateway.deps.participation.urp.people.operators.add(OPERATOR);
    const actor = (await desk.actor(OPERATOR))!;
    expect(actor.role).to.equal('urp');
    expect(await desk.actor(CITIZEN)).to.equal(undefined);
    let request = await desk.fileForCitizen(CITIZEN, fields({ body: 'unknown', kind: 'information' }), 'it');
    request = await desk.route(request, actor, COMUNE);
    request = await desk.route(request, actor, PROVINCIA);
    expect(request.assigned).to.equal(PROVINCIA);
    const history = await desk.store.history(request.ref);
    expect(history.map((h) => [h.action, h.from, h.to])).to.deep.equal([
      ['route', undefined, COMUNE],
      ['route', COMUNE, PROVINCIA],
    ]);
    // The Comune's queue no longer lists it; the Provincia's does.
    const inComune = await desk.store.queue(`b:${COMUNE}`, {}, { offset: 0, count: 100 });
    expect(inComune.rows.map((r) => r.ref)).to.not.include(request.ref);
    const inProvincia = await desk.store.queue(
      `b:${PROVINCIA}`,
      { kind: 'information' },
      { offset: 0, count: 10 },
    );
    expect(inProvincia.rows.map((r) => r.ref)).to.deep.equal([request.ref]);

    await desk.note(request, actor, "Chiedere all'ufficio tributi");
    request = await desk.answer(request, actor, 'Risposta della URP.');
    expect(request.status).to.equal('answered');
    await desk.requesterAdds(request, 'Non ho capito.');
    request = (await desk.store.get(request.ref))!;
    expect(request.status).to.equal('assigned');
    request = await desk.close(request, actor);
    expect(request.status).to.equal('closed');
    expect((await desk.store.thread(request.ref)).map((m) => m.author)).to.deep.equal([
      'citizen',
      'urp',
      'citizen',
    ]);
    expect((await desk.store.notes(request.ref)).map((n) => n.text)).to.deep.equal([
      "Chiedere all'ufficio tributi",
    ]);
    try {
      await desk.requesterAdds(request, 'Ancora una cosa.');
      expect.fail('a closed request took a message');
    } catch (error) {
      expect((error as { status: number }).status).to.equal(409);
    }
    await desk.rate(request, 4);
    try {
      await desk.rate(request, 5);
      expect.fail('rated twice');
    } catch (error) {
      expect((error as { status: number }).status).to.equal(409);
    }
    expect(await desk.store.ratings(PROVINCIA)).to.deep.include({ n: '1', sum: '4', s4: '1' });
  });

  it("keeps a closed request's personal data only for the retention time, then shows it as purged", async () => {
    const operator = (await desk.actor(OPERATOR))!;
    const filed = await desk.fileForCitizen(CITIZEN, fields({ address: 'Via Roma 12' }), 'it');
    const client = gateway.redis.client as SingleClient;
    const keyOf = (what: string) => `${gateway.config.redis.prefix}urp:{r:${filed.ref}}:${what}`;
    expect(await client.ttl(keyOf('data'))).to.equal(-1);
    await desk.close(filed, operator);
    for (const what of ['data', 'thread'])
      expect(await client.ttl(keyOf(what))).to.be.within(365 * 86_400 - 5, 365 * 86_400);
    expect(await client.ttl(keyOf('request'))).to.equal(-1);
    await client.del([keyOf('data'), keyOf('thread')]); // as the expiry will
    const purged = (await desk.store.get(filed.ref))!;
    expect(purged.purged).to.equal(true);
    expect(purged.text).to.equal('');
    expect(purged.address).to.equal(undefined);
    expect(await desk.store.thread(filed.ref)).to.deep.equal([]);
  });

  it('filters queues by status, kind, topic and due date', async () => {
    const all = await desk.store.queue('all', {}, { offset: 0, count: 100 });
    expect(all.total).to.equal(all.rows.length);
    const received = await desk.store.queue('all', { status: 'received' }, { offset: 0, count: 100 });
    expect(received.rows.every((r) => r.status === 'received')).to.equal(true);
    const complaints = await desk.store.queue(
      'all',
      { kind: 'complaint', status: 'assigned' },
      { offset: 0, count: 100 },
    );
    expect(complaints.rows.map((r) => r.kind)).to.deep.equal(['complaint']);
    const soon = await desk.store.queue('all', { due: 'week' }, { offset: 0, count: 100 });
    expect(soon.total).to.equal(0);
    const later = Date.now() + 40 * 86_400_000;
    const overdue = await desk.store.queue('all', { due: 'overdue' }, { offset: 0, count: 100 }, later);
    expect(overdue.rows.every((r) => r.status === 'received' || r.status === 'assigned')).to.equal(true);
    expect(overdue.total).to.be.greaterThan(0);
    const sorted = all.rows.map((r) => r.dueAt);
    expect(sorted).to.deep.equal([...sorted].sort((x, y) => x - y));
  });

  it('demo mode names an operator and an answerer and seeds four requests (one suggestion published), once', async () => {
    expect(await desk.people.operators.has(DEMO_URP_OPERATOR)).to.equal(true);
    expect(await desk.people.answerers.has(DEMO_URP_BODY, DEMO_URP_ANSWERER)).to.equal(true);
    const statuses = (await desk.store.queue('all', {}, { offset: 0, count: 1000 })).rows.map(
      (r) => r.status,
    );
    expect(statuses).to.include.members(['received', 'answered', 'closed']);
    expect((await desk.store.published({ offset: 0, count: 10 })).total).to.equal(1);
    expect(await seedDemoUrp(desk)).to.equal(0);
  });
});
