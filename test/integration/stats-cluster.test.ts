import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { startTestCluster, TEST_PORT_OFFSET, type TestCluster } from '../helpers/redis-topology.ts';

const BASE_PORT = 7160 + TEST_PORT_OFFSET;
const ADMIN = 'RSSMRA80A01H501U';
const SERVICE = 'museo-tessuto-biglietti';
const today = () => new Date().toISOString().slice(0, 10);

/**
 * The statistics on a real Redis Cluster (three masters): a day's and a month's keys each in one slot,
 * so every write and read (hashes, HyperLogLogs) reaches its node; two instances add up exactly.
 */
describe('usage statistics on a Redis Cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let a: TestGateway;
  let b: TestGateway;

  before(async () => {
    cluster = await startTestCluster(BASE_PORT);
    const overrides = {
      redis: { url: undefined, cluster: { nodes: cluster.urls } },
      registry: { admins: [ADMIN] },
      http: { trustProxy: true },
    };
    a = await createTestGateway(overrides);
    b = await createTestGateway({}, a.config);
  });
  after(async () => {
    try {
      await b?.close();
      await a?.close();
    } finally {
      await cluster?.dispose();
    }
  });

  it('counts exactly from two instances and shows it, terms that found nothing included', async () => {
    const views = (gw: TestGateway) =>
      Array.from({ length: 15 }, () => request(gw.app).get(`/services/${SERVICE}`).expect(200));
    await Promise.all([...views(a), ...views(b)]);
    for (let i = 1; i <= 10; i++)
      await request(i % 2 ? a.app : b.app)
        .get('/services?q=Qwxzy+Plorf')
        .set('X-Forwarded-For', `192.0.2.${i}`)
        .expect(200);
    await Promise.all([a.deps.stats.flush(), b.deps.stats.flush()]);

    const counts = await b.deps.stats.reader.counts({ from: today(), to: today() });
    const field = [...counts.keys()].find((f) => f.startsWith('sheet|') && f.endsWith(`|${SERVICE}`));
    expect(counts.get(field!)).to.equal(30);
    expect(counts.get('search|none')).to.equal(10);

    const page = cheerio.load((await request(a.app).get('/statistiche').expect(200)).text);
    expect(page('table.varco-chart-table').first().find('tbody tr td').last().text()).to.equal('30');
    const admin = request.agent(b.app);
    await admin.get(`/__test/login?fiscalCode=${ADMIN}`).expect(200);
    const $ = cheerio.load((await admin.get('/admin/statistiche').expect(200)).text);
    expect($('.varco-zero-results tbody th').text()).to.equal('qwxzy plorf');
    await request(a.app)
      .get(`/statistiche/servizi/${today().slice(0, 7)}.json`)
      .expect(200);
  });
});
