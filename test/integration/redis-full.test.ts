import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createLogger } from '../../src/platform/logger.ts';
import type { Procedure } from '../../src/procedures/definitions.ts';
import { confirmationForm, fillNewborn, logIn, NEWBORN, receiptCase, browse } from '../helpers/journeys.ts';
import { eventually, finished, startDeliveringGateway } from '../helpers/procedures.ts';
import { redisCommand, startRedisOn, TEST_PORT_OFFSET } from '../helpers/redis-topology.ts';

const PORT = 7120 + TEST_PORT_OFFSET;

/**
 * A Redis at its memory limit under `noeviction` (operations.md recommends both): it refuses every
 * write with "OOM command not allowed" and still answers reads. The gateway answers 503 (never 500),
 * keeps its log readable, files nothing half-way, and carries on once memory is freed.
 */
describe('Redis at maxmemory with noeviction (a private redis-server)', function () {
  this.timeout(90_000);
  let server: Awaited<ReturnType<typeof startRedisOn>>;
  let gateway: Awaited<ReturnType<typeof startDeliveringGateway>>;
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    server = await startRedisOn(PORT, ['--maxmemory-policy', 'noeviction']);
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    gateway = await startDeliveringGateway(
      {
        redis: { url: server.url, commandTimeoutMs: 1000, maxReconnectDelayMs: 200 },
        procedures: { delivery: { supervisionMs: 300 } },
        rateLimit: { forms: { windowSeconds: 60, max: 100_000 } },
      },
      {},
      logger,
    );
  });
  after(async () => {
    await gateway?.stop();
    await server?.dispose();
  });

  it('answers 503 with Retry-After (never 500) while Redis refuses writes, floods no log, and carries on after', async () => {
    const procedure = gateway.deps.procedures.procedures.get('newborn') as Procedure;
    const citizen = await logIn(gateway.app);
    await browse(gateway.app, citizen);
    await fillNewborn(citizen, procedure);
    const form = await confirmationForm(citizen);
    await request(gateway.app).get('/ready').expect(200);

    await redisCommand(PORT, ['CONFIG', 'SET', 'maxmemory', '1']);
    const fullSince = lines.length;
    const ready = await request(gateway.app).get('/ready').expect(503);
    expect(ready.body.checks).to.include({ redis: false });

    // Whatever needs a write answers 503; what only reads may still answer 200. Never a 500.
    const answers = [
      await request(gateway.app).get('/__test/login?fiscalCode=BNCLCU85M10G999Z'),
      await citizen.post(`${NEWBORN}/preview`).type('form').send(form),
      await citizen.get('/me'),
      await citizen.get('/services?q=anagrafe'),
      await citizen.get('/go/prato-cambio-residenza'),
      await request(gateway.app).get('/'),
      await request(gateway.app).get('/services').set('Accept', 'application/json'),
      await request(gateway.app).get('/api/v1/body'),
    ];
    for (const [index, answer] of answers.entries()) {
      expect(answer.status, `request ${index}: ${answer.status}`).to.be.oneOf([200, 303, 401, 503]);
      if (answer.status === 503) expect(answer.headers['retry-after']).to.equal('30');
    }
    expect(answers[0]!.status).to.equal(503);
    const refused = answers[1]!;
    expect(refused.status).to.equal(503);
    expect(cheerio.load(refused.text)('h1').text()).to.equal('Servizio temporaneamente non disponibile');
    // Nothing was filed: the confirmation's claim was the first write refused.
    expect(await gateway.deps.procedures.repository.listByCitizen('RSSMRA80A01H501U')).to.deep.equal([]);

    // Idle delivery workers meet the full Redis many times a second: each kind of failure is logged
    // once (then once a minute, with a count), not once per attempt.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // (One line per request, 'request completed', is the access log, not a repetition.)
    const errors = lines
      .slice(fullSince)
      .filter((line) => Number(line.level) >= 50 && line.msg !== 'request completed');
    const kinds = new Map<string, number>();
    for (const line of errors) {
      const err = line.err as { message?: string } | undefined;
      const key = `${String(line.msg)} ${String(err?.message ?? '').split(' ', 1)[0]}`;
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
    }
    for (const [kind, count] of kinds) expect(count, kind).to.equal(1);
    const statuses = lines.slice(fullSince).map((line) => (line.res as { statusCode?: number })?.statusCode);
    expect(statuses).to.not.include(500);

    await redisCommand(PORT, ['CONFIG', 'SET', 'maxmemory', '0']);
    await eventually(async () =>
      (await request(gateway.app).get('/ready')).status === 200 ? true : undefined,
    );
    // The session and the draft survived; the same confirmation files the case now, and it is delivered.
    await browse(gateway.app, citizen);
    const filed = await citizen.post(`${NEWBORN}/preview`).type('form').send(form).expect(303);
    const caseId = receiptCase(filed.headers.location);
    expect(caseId).to.be.a('string');
    const record = await finished(gateway, caseId!, 30_000);
    expect(Object.values(record.steps).every((step) => step.status !== 'queued')).to.equal(true);
  });
});
