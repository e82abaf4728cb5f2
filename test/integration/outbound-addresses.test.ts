import { expect } from 'chai';
import * as cheerio from 'cheerio';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type LookupFunction, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCatalogRepository } from '../../src/catalog/catalog.repository.ts';
import { createCatalogWriter } from '../../src/catalog/catalog.writer.ts';
import { createEndpointDirectory } from '../../src/catalog/endpoint-directory.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createOutboundHttp, loopbackAllowed } from '../../src/platform/outbound-http.ts';
import { connectRedis, createRedisConnection, type RedisConnection } from '../../src/platform/redis.ts';
import { buildProcedures } from '../../src/procedures/procedures.module.ts';
import { deleteKeys, testCitizen, testConfig } from '../helpers/gateway.ts';
import { eventually } from '../helpers/procedures.ts';
import {
  TestBrowser,
  discoverClient,
  enterService,
  registerSsoService,
  startSsoGateway,
  type SsoGateway,
} from '../helpers/sso.ts';
import { testBody } from './catalog-fixtures.ts';

const SYSTEM = { kind: 'system', id: 'test' } as const;
const DOMAIN = 'sportello.ente-prova.it';

const ONE_STEP = `
id: prova
version: 1
title: { it: Prova, en: Test }
description: { it: Un passo., en: One step. }
loginLevel: 2
declaration: { it: Dichiaro il vero., en: I declare the truth. }
form:
  pages:
    - id: main
      title: { it: Dati, en: Data }
      fields:
        - { id: note, type: text, label: { it: Nota, en: Note }, required: true }
steps:
  - id: only
    title: { it: Unico, en: Only }
    body: ente_prova
    endpoint: consegne
    fields: [note]
`;

/** The body's DNS, played by the test: its declared domain points at 127.0.0.1. */
const toLoopback: LookupFunction = (_hostname, _options, callback) =>
  callback(null, [{ address: '127.0.0.1', family: 4 }]);

/**
 * A production gateway must not deliver applicants' data to a declared domain whose DNS points inside
 * the network. The "inside" the test can reach is 127.0.0.1 (nothing else may be contacted here): a
 * production configuration refuses loopback like any private address, so it stands for them all.
 */
describe('deliveries are refused at connection time when the host resolves to a non-public address', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'varco-ssrf-'));
  const definitionsDir = path.join(dir, 'procedures');
  let listener: Server;
  let port: number;
  let connections = 0;
  let redis: RedisConnection;

  before(async () => {
    mkdirSync(definitionsDir, { recursive: true });
    writeFileSync(path.join(definitionsDir, 'prova.yaml'), ONE_STEP);
    // Counts every TCP connection, and drops it: whatever reaches it is a delivery that got out.
    listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** An engine with its workers, for a gateway in demo mode or not, with the body and its endpoint. */
  async function engineFor(demo: boolean) {
    const config = testConfig({
      demo,
      citizen: {
        varDir: path.join(dir, 'var'),
        dataKeys: [`t1:${randomBytes(32).toString('base64')}`], // test-only key
      },
      procedures: {
        definitionsDir,
        varDir: path.join(dir, 'var'),
        delivery: { workers: true, attempts: 2, backoffMs: 50, lockMs: 2000, timeoutMs: 3000 },
      },
    });
    const logger = createLogger('silent');
    redis = createRedisConnection(config.redis, logger);
    await connectRedis(redis);
    const repository = createCatalogRepository(redis);
    const writer = createCatalogWriter(repository, { demo });
    await writer.putBody(SYSTEM, testBody('ente_prova', DOMAIN), { status: 'approved', editors: [] });
    await writer.putEndpoint(SYSTEM, 'ente_prova', 'consegne', {
      title: { it: 'Consegne', en: 'Deliveries' },
      url: `https://${DOMAIN}:${port}/consegne`,
      handles: ['prova.only'],
    });
    const outbound = createOutboundHttp({ allowLoopback: loopbackAllowed(config), lookup: toLoopback });
    const engine = await buildProcedures(
      config,
      logger,
      redis,
      { endpoints: createEndpointDirectory(repository, { demo }) },
      undefined,
      outbound,
    );
    const record = await engine.cases.confirm(engine.procedures.get('prova')!, testCitizen(), {
      note: 'dati del richiedente',
    });
    const deadLetter = () =>
      eventually(async () => (await engine.queues.deadLetters()).find((l) => l.job.caseId === record.id));
    return {
      engine,
      record,
      deadLetter,
      async close() {
        await engine.close();
        await outbound.close();
        await deleteKeys(redis, config.redis.prefix);
        await redis.close();
      },
    };
  }

  it('outside demo mode: nothing reaches the address, and the dead letter says why at the first attempt', async () => {
    connections = 0;
    const run = await engineFor(false);
    try {
      const letter = await run.deadLetter();
      expect(letter.reason).to.equal(
        `not delivered: ${DOMAIN} resolves to a loopback address (127.0.0.1); the gateway does not connect there`,
      );
      expect(letter.attempts).to.equal(1);
      const history = await run.engine.cases.history(run.record.id);
      expect(history.find((e) => e.status === 'dead-lettered')?.reason).to.match(/loopback address/);
      expect(connections).to.equal(0);
    } finally {
      await run.close();
    }
  });

  it('the same setup in demo mode (loopback allowed) does connect: the test would see a delivery getting out', async () => {
    connections = 0;
    const run = await engineFor(true);
    try {
      const letter = await run.deadLetter();
      expect(letter.reason).to.match(/endpoint unreachable/);
      expect(connections).to.be.greaterThan(0);
    } finally {
      await run.close();
    }
  });
});

describe("the provider's back-channel logout is refused at connection time outside demo mode", function () {
  this.timeout(30_000);
  let op: SsoGateway;
  let listener: HttpServer;
  let rp: string;
  let requests = 0;

  before(async () => {
    listener = createHttpServer((_req, res) => {
      requests += 1;
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    rp = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    // Demo catalog rules (loopback URIs may be registered), production's outbound rule: no loopback.
    op = await startSsoGateway({}, { outbound: { allowLoopback: false } });
  });
  after(async () => {
    await op.close();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  it('ending the services sends no logout token to a loopback address', async () => {
    const secret = await registerSsoService(op.gateway, {
      body: 'comune_bcl',
      service: 'bcl-anagrafe',
      rpOrigin: rp,
      auth: { method: 'client_secret_basic' },
      backchannel: true,
    });
    const client = await discoverClient(op.url, 'bcl-anagrafe', { secret: secret! });
    const browser = new TestBrowser(op.url);
    await browser.login('RSSMRA80A01H501U', 2);
    await enterService(browser, client, `${rp}/bcl-anagrafe/callback`);
    requests = 0;
    const me = cheerio.load(await (await browser.request('/me')).text());
    const csrf = String(me('form[action="/me/services/end-all"] input[name="_csrf"]').val());
    expect((await browser.post('/me/services/end-all', { _csrf: csrf })).status).to.equal(303);
    expect(requests).to.equal(0);
  });
});
