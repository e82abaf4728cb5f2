import { expect } from 'chai';
import * as cheerio from 'cheerio';
import type { CaseService } from '../../src/procedures/case.service.ts';
import type { Procedure } from '../../src/procedures/definitions.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { confirmationForm, fillNewborn, logIn, NEWBORN, receiptCase } from '../helpers/journeys.ts';
import { redisCommand, startRedisOn, TEST_PORT_OFFSET } from '../helpers/redis-topology.ts';

const PORT = 7121 + TEST_PORT_OFFSET;
const PARENT = 'RSSMRA80A01H501U';

/**
 * A confirmation whose filing fails half-way (the case written, then Redis full or gone): the citizen
 * is never told that a filed case failed. The failures are real (a Redis refusing writes, a Redis
 * killed); only their moment is chosen, by running the real filing and then causing them.
 */
describe('confirmation when Redis fails during filing (a private redis-server)', function () {
  this.timeout(60_000);
  let server: Awaited<ReturnType<typeof startRedisOn>>;
  let gateway: TestGateway;
  let cases: CaseService;
  let realConfirm: CaseService['confirm'];

  beforeEach(async () => {
    server = await startRedisOn(PORT, ['--maxmemory-policy', 'noeviction']);
    gateway = await createTestGateway({
      redis: { url: server.url, commandTimeoutMs: 1000, maxReconnectDelayMs: 200 },
      procedures: { delivery: { workers: false } },
    });
    cases = gateway.deps.procedures.cases;
    realConfirm = cases.confirm.bind(cases);
  });
  afterEach(async () => {
    await gateway.close();
    await server.dispose();
  });

  async function preview() {
    const agent = await logIn(gateway.app, PARENT);
    await fillNewborn(agent, gateway.deps.procedures.procedures.get('newborn') as Procedure);
    return { agent, form: await confirmationForm(agent) };
  }

  it('sends the citizen to the receipt when the case was filed and Redis then refused writes', async () => {
    const { agent, form } = await preview();
    cases.confirm = async (...args) => {
      await realConfirm(...args);
      await redisCommand(PORT, ['CONFIG', 'SET', 'maxmemory', '1']);
      // The next write of the filing (as queuing its deliveries would be) meets the full Redis.
      await gateway.redis.client.set(`${gateway.config.redis.prefix}probe`, 'x');
      throw new Error('unreachable: the write above is refused');
    };
    const answer = await agent.post(`${NEWBORN}/preview`).type('form').send(form).expect(303);
    const caseId = receiptCase(answer.headers.location);
    expect(caseId).to.be.a('string');
    expect(await gateway.deps.procedures.repository.listByCitizen(PARENT)).to.deep.equal([caseId]);
    // Reading still works at the memory limit: the receipt shows.
    await agent.get(answer.headers.location!).expect(200);

    await redisCommand(PORT, ['CONFIG', 'SET', 'maxmemory', '0']);
    cases.confirm = realConfirm;
    // Confirming again (a reload) finds the same case: nothing filed twice.
    const again = await agent.post(`${NEWBORN}/preview`).type('form').send(form).expect(303);
    expect(receiptCase(again.headers.location)).to.equal(caseId);
    expect(await gateway.deps.procedures.repository.listByCitizen(PARENT)).to.deep.equal([caseId]);
  });

  it('says the outcome is unknown, and where to look, when Redis is gone before it can be asked', async () => {
    const { agent, form } = await preview();
    cases.confirm = async (...args) => {
      await server.kill('SIGKILL');
      return realConfirm(...args);
    };
    const answer = await agent.post(`${NEWBORN}/preview`).type('form').send(form).expect(503);
    expect(answer.headers['retry-after']).to.equal('30');
    const $ = cheerio.load(answer.text);
    expect($('h1').text()).to.equal('Non sappiamo ancora se la pratica è stata inviata');
    expect($('main').text()).to.include('non viene mai inviata due volte');
    expect($('a[href="/me#cases"]').length).to.equal(1);

    await server.start();
    cases.confirm = realConfirm;
  });

  it('refuses with the plain 503 and files nothing when the claim itself is refused', async () => {
    const { agent, form } = await preview();
    await redisCommand(PORT, ['CONFIG', 'SET', 'maxmemory', '1']);
    const answer = await agent.post(`${NEWBORN}/preview`).type('form').send(form).expect(503);
    expect(cheerio.load(answer.text)('h1').text()).to.equal('Servizio temporaneamente non disponibile');
    await redisCommand(PORT, ['CONFIG', 'SET', 'maxmemory', '0']);
    expect(await gateway.deps.procedures.repository.listByCitizen(PARENT)).to.deep.equal([]);
    await agent.post(`${NEWBORN}/preview`).type('form').send(form).expect(303);
  });
});
