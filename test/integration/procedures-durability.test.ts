import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCatalogRepository } from '../../src/catalog/catalog.repository.ts';
import { createCatalogWriter } from '../../src/catalog/catalog.writer.ts';
import { createEndpointDirectory } from '../../src/catalog/endpoint-directory.ts';
import { Queue } from 'bullmq';
import { createLogger } from '../../src/platform/logger.ts';
import { connectRedis, createRedisConnection } from '../../src/platform/redis.ts';
import { bullConnection, queueLocation, queueName } from '../../src/procedures/delivery-queue.ts';
import { buildProcedures } from '../../src/procedures/procedures.module.ts';
import { deleteKeys, testCitizen, testConfig } from '../helpers/gateway.ts';
import {
  eventually,
  finished,
  newbornForm,
  startDeliveringGateway,
  testBodySystem,
} from '../helpers/procedures.ts';
import { startTestRedisServer } from '../helpers/redis-server.ts';
import { serverEnvironment, spawnServer, type ServerProcess } from '../helpers/server-process.ts';

const SYSTEM = { kind: 'system', id: 'test' } as const;
const TITLE = { it: 'Endpoint di prova', en: 'Test endpoint' };

/** A two-step procedure handled by an endpoint the demo seed does not know (so a restart keeps its URL). */
const RELAY = `
id: relay
version: 1
title: { it: Staffetta, en: Relay }
description: { it: Due passi in fila., en: Two steps in a row. }
loginLevel: 2
declaration: { it: Dichiaro il vero., en: I declare the truth. }
form:
  pages:
    - id: main
      title: { it: Dati, en: Data }
      fields:
        - { id: note, type: text, label: { it: Nota, en: Note }, required: true }
steps:
  - id: first
    title: { it: Primo, en: First }
    body: c_g999
    endpoint: test-relay
    fields: [note]
    outputs:
      record: { type: text, label: { it: Registro, en: Record } }
  - id: second
    title: { it: Secondo, en: Second }
    body: c_g999
    endpoint: test-relay
    after: [first]
    fields: [note]
    inputs: [first.record]
`;

describe('composite procedures: nothing lost when the gateway is killed mid-delivery', function () {
  this.timeout(90_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'varco-relay-'));
  const definitionsDir = path.join(dir, 'procedures');
  let server: ServerProcess | undefined;

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts, takes the stalled delivery over and completes it exactly once at the body', async () => {
    mkdirSync(definitionsDir, { recursive: true });
    writeFileSync(path.join(definitionsDir, 'relay.yaml'), RELAY);
    const dataKey = `t1:${randomBytes(32).toString('base64')}`; // test-only key
    const base = await serverEnvironment();
    const publicUrl = `http://127.0.0.1:${base.PORT}`;
    const configFile = path.join(dir, 'config.yaml');
    const procedures = {
      definitionsDir,
      varDir: path.join(dir, 'var'),
      delivery: { workers: true, lockMs: 1000, backoffMs: 100, attempts: 10 },
    };
    const citizen = { varDir: path.join(dir, 'var'), dataKeys: [dataKey] };
    writeFileSync(configFile, JSON.stringify({ procedures, citizen }));
    const env = { ...base, PUBLIC_URL: publicUrl, VARCO_CONFIG: configFile, LOG_LEVEL: 'warn' };

    let killed: Promise<unknown> | undefined;
    const body = testBodySystem(publicUrl, (delivery, count) => {
      if (delivery.key.endsWith('.first') && count === 1) {
        // The gateway is waiting for this answer: kill it now, before the body answers.
        killed = (async () => {
          server?.child.kill('SIGKILL');
          await server?.exited;
        })();
        return 'hang';
      }
      const step = String(delivery.claims.step);
      return step === 'relay.first'
        ? { status: 200, body: { status: 'completed', outputs: { record: 'R-1' } } }
        : { status: 200, body: { status: 'completed' } };
    });
    const bodyUrl = await body.start();

    // The test files the case through its own engine (no workers), on the same Redis prefix and keys.
    const config = testConfig({
      redis: { prefix: base.REDIS_PREFIX },
      http: { publicUrl },
      citizen,
      procedures: { ...procedures, delivery: { ...procedures.delivery, workers: false } },
    });
    const logger = createLogger('silent');
    const redis = createRedisConnection(config.redis, logger);
    await connectRedis(redis);
    const repository = createCatalogRepository(redis);
    const endpoints = createEndpointDirectory(repository, { demo: true, gatewayOrigin: publicUrl });
    const engine = await buildProcedures(config, logger, redis, { endpoints });
    try {
      server = spawnServer(env);
      await server.ready();
      const writer = createCatalogWriter(repository, { demo: true, gatewayOrigin: publicUrl });
      await writer.putEndpoint(SYSTEM, 'c_g999', 'test-relay', {
        title: TITLE,
        url: bodyUrl,
        handles: ['relay.first', 'relay.second'],
      });
      const relay = engine.procedures.get('relay')!;
      const record = await engine.cases.confirm(relay, testCitizen(), { note: 'nota riservata' });

      await eventually(async () => (killed ? true : undefined));
      await killed;
      expect(await engine.cases.get(record.id)).to.include({ status: 'open' });
      server = spawnServer(env);
      await server.ready();

      const done = await eventually(async () => {
        const current = await engine.cases.get(record.id);
        return current?.status === 'completed' ? current : undefined;
      }, 30_000);
      expect(done.steps.second?.status).to.equal('completed');
      const keys = body.received.map((d) => d.key);
      expect(keys.filter((k) => k === `${record.id}.first`)).to.have.length(2); // the cut-short POST and the retry
      expect(keys.filter((k) => k === `${record.id}.second`)).to.have.length(1);
      const history = await engine.cases.history(record.id);
      expect(history.filter((e) => e.step === 'first' && e.status === 'completed')).to.have.length(1);
      const second = body.received.find((d) => d.key === `${record.id}.second`);
      expect(second?.claims.inputs).to.deep.equal({ 'first.record': 'R-1' });
    } finally {
      server?.child.kill('SIGTERM');
      await server?.exited;
      await body.stop();
      await engine.close();
      await deleteKeys(redis, config.redis.prefix);
      await redis.close();
    }
  });
});

/**
 * The relay procedure delivered by a real gateway process whose body kills it mid-delivery of the first
 * step `kills` times (each time restarted); the test files the case through its own engine (no workers)
 * on the same Redis prefix and keys, and reads the delivery queue directly.
 */
async function relayKilledMidDelivery(
  dir: string,
  options: { kills: number; delivery?: Record<string, unknown> },
) {
  const definitionsDir = path.join(dir, 'procedures');
  mkdirSync(definitionsDir, { recursive: true });
  writeFileSync(path.join(definitionsDir, 'relay.yaml'), RELAY);
  const base = await serverEnvironment();
  const publicUrl = `http://127.0.0.1:${base.PORT}`;
  const configFile = path.join(dir, 'config.yaml');
  const procedures = {
    definitionsDir,
    varDir: path.join(dir, 'var'),
    delivery: { workers: true, lockMs: 1000, backoffMs: 100, attempts: 10, ...options.delivery },
  };
  const citizen = {
    varDir: path.join(dir, 'var'),
    dataKeys: [`t1:${randomBytes(32).toString('base64')}`], // test-only key
  };
  writeFileSync(configFile, JSON.stringify({ procedures, citizen }));
  const env = { ...base, PUBLIC_URL: publicUrl, VARCO_CONFIG: configFile, LOG_LEVEL: 'warn' };

  let server: ServerProcess | undefined;
  const kills: Array<Promise<unknown>> = [];
  const body = testBodySystem(publicUrl, (delivery, count) => {
    if (delivery.key.endsWith('.first') && kills.length < options.kills) {
      const dying = server;
      kills.push(
        (async () => {
          dying?.child.kill('SIGKILL'); // mid-delivery: the gateway waits for this answer
          await dying?.exited;
        })(),
      );
      return 'hang';
    }
    return delivery.key.endsWith('.first')
      ? { status: 200, body: { status: 'completed', outputs: { record: `R-${count}` } } }
      : { status: 200, body: { status: 'completed' } };
  });
  const bodyUrl = await body.start();
  const config = testConfig({
    redis: { prefix: base.REDIS_PREFIX },
    http: { publicUrl },
    citizen,
    procedures: { ...procedures, delivery: { ...procedures.delivery, workers: false } },
  });
  const logger = createLogger('silent');
  const redis = createRedisConnection(config.redis, logger);
  await connectRedis(redis);
  const repository = createCatalogRepository(redis);
  const engine = await buildProcedures(config, logger, redis, {
    endpoints: createEndpointDirectory(repository, { demo: true, gatewayOrigin: publicUrl }),
  });
  const location = queueLocation(config.redis, queueName('c_g999', 'test-relay'));
  const queue = new Queue(location.name, {
    connection: bullConnection(config.redis),
    prefix: location.prefix,
  });
  const start = async () => {
    server = spawnServer(env);
    await server.ready();
  };
  await start();
  await createCatalogWriter(repository, { demo: true, gatewayOrigin: publicUrl }).putEndpoint(
    SYSTEM,
    'c_g999',
    'test-relay',
    { title: TITLE, url: bodyUrl, handles: ['relay.first', 'relay.second'] },
  );
  const record = await engine.cases.confirm(engine.procedures.get('relay')!, testCitizen(), { note: 'nota' });
  return {
    engine,
    body,
    record,
    queue,
    job: () => queue.getJob(`${record.id}.first`),
    /** Waits for the n-th kill, then starts the gateway again. */
    async restartAfterKill(n: number) {
      await eventually(async () => (kills.length >= n ? true : undefined), 30_000);
      await kills[n - 1];
      await start();
    },
    deliveriesOfFirst: () => body.received.filter((d) => d.key === `${record.id}.first`).length,
    completed: () =>
      eventually(async () => {
        const current = await engine.cases.get(record.id);
        return current?.status === 'completed' ? current : undefined;
      }, 30_000),
    async close() {
      server?.child.kill('SIGTERM');
      await server?.exited;
      await body.stop();
      await queue.close();
      await engine.close();
      await deleteKeys(redis, config.redis.prefix);
      await redis.close();
    },
  };
}

describe('composite procedures: a gateway killed during a delivery is not the endpoint failing', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'varco-stalls-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a delivery whose gateway is killed twice mid-delivery is taken over each time, never dead-lettered', async () => {
    const run = await relayKilledMidDelivery(dir, { kills: 2 });
    try {
      await run.restartAfterKill(1);
      await run.restartAfterKill(2);
      const done = await run.completed();
      expect(done.steps.first?.status).to.equal('completed');
      expect(run.deliveriesOfFirst()).to.equal(3); // two cut short by the kills, then the one answered
      const job = await run.job();
      expect(job?.stalledCounter).to.equal(2); // both kills were taken over as stalls...
      expect(job?.attemptsMade).to.equal(1); // ...not as attempts: only the answered one counts
      const history = await run.engine.cases.history(run.record.id);
      expect(history.map((e) => e.status)).to.not.include('dead-lettered');
      expect(await run.engine.queues.deadLetters()).to.deep.equal([]);
    } finally {
      await run.close();
    }
  });

  it('a delivery that kills its gateway more often than maxStalls goes to the dead letters; a retry starts afresh', async () => {
    const run = await relayKilledMidDelivery(dir, { kills: 3, delivery: { maxStalls: 1 } });
    try {
      await run.restartAfterKill(1);
      await run.restartAfterKill(2);
      const [dead] = await eventually(async () => {
        const letters = await run.engine.queues.deadLetters();
        return letters.length > 0 ? letters : undefined;
      }, 30_000);
      expect(dead).to.include({
        id: `${run.record.id}.first`,
        reason: 'job stalled more than allowable limit',
      });
      const history = await eventually(async () => {
        const entries = await run.engine.cases.history(run.record.id);
        return entries.some((e) => e.status === 'dead-lettered') ? entries : undefined;
      });
      expect(history.find((e) => e.status === 'dead-lettered')).to.include({ step: 'first' });
      expect(run.deliveriesOfFirst()).to.equal(2);

      // The admin retries it: the third delivery kills the gateway once more, which is a first takeover
      // again, not a third one past the limit.
      expect(await run.engine.queues.retry(dead!.queue, dead!.id)).to.equal(true);
      await run.restartAfterKill(3);
      const done = await run.completed();
      expect(done.steps.first?.status).to.equal('completed');
      expect(run.deliveriesOfFirst()).to.equal(4);
      expect(await run.engine.queues.deadLetters()).to.deep.equal([]);
    } finally {
      await run.close();
    }
  });
});

describe('composite procedures: nothing lost when Redis restarts (append-only file)', function () {
  this.timeout(60_000);

  it('keeps the case and its queued delivery across a Redis kill -9, then delivers once the body is up', async () => {
    const redisServer = await startTestRedisServer({ appendOnly: true });
    const gateway = await startDeliveringGateway({
      redis: { url: redisServer.url },
      procedures: { delivery: { attempts: 20, backoffMs: 200 } },
    });
    const body = testBodySystem(gateway.url, () => ({
      status: 200,
      body: { status: 'completed', outputs: { childFiscalCode: 'RSSMRA80A01H501U', birthRecord: 'Atto 7' } },
    }));
    try {
      const port = (await body.start()).replace(/^.*:(\d+)\/.*$/, '$1');
      await body.stop(); // the Comune's system is down for now
      await gateway.deps.catalog.writer.putEndpoint(SYSTEM, 'c_g999', 'stato-civile-nascite', {
        title: TITLE,
        url: `http://127.0.0.1:${port}/deliveries`,
        handles: ['newborn.birth-registration'],
      });
      const procedure = gateway.deps.procedures.procedures.get('newborn')!;
      const record = await gateway.deps.procedures.cases.confirm(procedure, testCitizen(), newbornForm());

      await redisServer.kill('SIGKILL');
      await redisServer.start();
      await eventually(async () => (gateway.redis.isUp() ? true : undefined));
      expect(await gateway.deps.procedures.cases.get(record.id)).to.include({ status: 'open' });

      await body.start(Number(port));
      const done = await finished(gateway, record.id, 30_000);
      expect(done.steps['birth-registration']?.status).to.equal('completed');
      expect(body.received.filter((d) => d.key === `${record.id}.birth-registration`)).to.have.length(1);
    } finally {
      await body.stop();
      await gateway.stop();
      await redisServer.dispose();
    }
  });
});

describe('composite procedures: an invalid definition stops the start', function () {
  this.timeout(30_000);

  it('exits 1 and names the file, the place and the problem', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'varco-broken-'));
    try {
      const definitions = path.join(dir, 'procedures');
      mkdirSync(definitions);
      writeFileSync(path.join(definitions, 'relay.yaml'), RELAY.replace('after: [first]', 'after: [zeroth]'));
      const configFile = path.join(dir, 'config.yaml');
      writeFileSync(configFile, JSON.stringify({ procedures: { definitionsDir: definitions, varDir: dir } }));
      const server = spawnServer(await serverEnvironment({ VARCO_CONFIG: configFile }));
      const exit = await server.exited;
      expect(exit.code).to.equal(1);
      expect(server.stderr()).to.match(/^Invalid procedure definitions:$/m);
      expect(server.stderr()).to.include('relay.yaml: steps[1] (second).after[0]: unknown step "zeroth"');
      expect(server.stderr()).to.not.include('    at '); // a message, not a stack trace
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
