import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { createApp } from '../../src/app.ts';
import { sparePort } from '../../src/platform/embedded-redis.ts';
import type { CaseRecord } from '../../src/procedures/case.repository.ts';
import { DELIVERY_KEYS_PATH, DELIVERY_TYPE } from '../../src/procedures/delivery-signer.ts';
import type { FormValues } from '../../src/procedures/form.ts';
import { italianToday, resolveDateBound } from '../../src/procedures/form.ts';
import { createTestGateway, testConfig, testLoginRoutes, type TestGateway } from './gateway.ts';

type Tree = Record<string, unknown>;

/** A complete, valid newborn form (dates relative to today, as the form's bounds are). */
export function newbornForm(overrides: FormValues = {}): FormValues {
  const today = italianToday(new Date());
  return {
    childGivenName: 'Giulia',
    childFamilyName: 'Bianchi',
    childSex: 'F',
    birthDate: resolveDateBound('today-2d', today),
    birthTime: '08:45',
    birthMunicipality: 'G999',
    birthFacility: 'Ospedale Santo Stefano, Prato',
    declarantRole: 'mother',
    parentsMarried: 'yes',
    otherParentGivenName: 'Luca',
    otherParentFamilyName: 'Bianchi',
    otherParentFiscalCode: 'BNCLCU85M10G999Z',
    residenceAddress: 'Via Roma 12, 59100 Prato',
    email: 'genitore@example.org',
    phone: '+39 0574 123456',
    paediatrician: 'ped-po-nord-01',
    iban: 'IT60X0542811101000000123456',
    assegnoShare: 'full',
    iseeDsuProtocol: 'INPS-ISEE-2026-12345678A-01',
    iseeValue: 18000,
    nurseryPreference: 'nido-girotondo',
    nurseryStart: resolveDateBound('today+120d', today),
    ...overrides,
  };
}

/**
 * A test gateway listening on the port of its own public URL (so the endpoints the demo seed resolves
 * and the delivery keys the bodies fetch are this server's), delivery workers on, quick retries.
 */
export async function startDeliveringGateway(
  overrides: Tree = {},
  services: Parameters<typeof createTestGateway>[2] = {},
  logger?: Parameters<typeof createTestGateway>[3],
): Promise<TestGateway & { url: string; stop(): Promise<void> }> {
  const port = await sparePort();
  const url = `http://127.0.0.1:${port}`;
  const base: Tree = {
    http: { publicUrl: url },
    procedures: {
      delivery: { workers: true, attempts: 4, backoffMs: 50, timeoutMs: 5000, lockMs: 2000 },
      demoBodySystems: { delayMs: 0, failureRate: 0 },
    },
  };
  const config = testConfig(merge(base, overrides));
  const gateway = await createTestGateway({}, config, services, logger);
  const app = createApp(gateway.deps, [testLoginRoutes(gateway.deps)]);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    ...gateway,
    app,
    url,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}

function merge(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const current = out[key];
    const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = isTree(current) && isTree(value) ? merge(current, value) : value;
  }
  return out;
}

/** Polls until `check` returns a value (not undefined), or fails after `deadlineMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, deadlineMs = 15_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the case is no longer open and returns it. */
export const finished = (gateway: TestGateway, caseId: string, deadlineMs?: number) =>
  eventually(async () => {
    const record = await gateway.deps.procedures.cases.get(caseId);
    return record && record.status !== 'open' ? record : undefined;
  }, deadlineMs);

export type CaseState = CaseRecord;

/** A delivery as a test body received it, after verifying its signature. */
export interface ReceivedDelivery {
  key: string;
  claims: JWTPayload & Record<string, unknown>;
}

/**
 * A body's system outside the gateway for tests: verifies each delivery with the gateway's published
 * keys, records it, and answers what `answer` says (a status and a JSON body). It can be started
 * later or stopped, to play an endpoint that is down.
 */
export function testBodySystem(
  gatewayUrl: string,
  answer: (delivery: ReceivedDelivery, count: number) => { status: number; body?: unknown } | 'hang',
  /** Serve https with this key and certificate (the gateway must trust it) instead of http. */
  options: { tls?: { key: string; cert: string } } = {},
) {
  const keys = createRemoteJWKSet(new URL(DELIVERY_KEYS_PATH, gatewayUrl));
  const received: ReceivedDelivery[] = [];
  const refused: string[] = [];
  /** Every TCP connection made to the system, whatever came of it. */
  let connections = 0;
  let server: Server | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let token = '';
    for await (const chunk of req) token += (chunk as Buffer).toString();
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: gatewayUrl, typ: DELIVERY_TYPE });
      const key = String(req.headers['idempotency-key'] ?? '');
      if (key !== payload.jti) throw new Error('idempotency key differs from jti');
      const delivery = { key, claims: payload as JWTPayload & Record<string, unknown> };
      received.push(delivery);
      const reply = answer(delivery, received.filter((d) => d.key === key).length);
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    } catch (error) {
      refused.push((error as Error).message);
      res.writeHead(401).end();
    }
  };

  return {
    received,
    refused,
    connections: () => connections,
    port: 0,
    async start(port = 0) {
      const handler = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
      server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
      server.on('connection', () => (connections += 1));
      await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', () => resolve()));
      this.port = (server.address() as AddressInfo).port;
      return `${options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}/deliveries`;
    },
    async stop() {
      const running = server;
      if (!running) return;
      running.closeAllConnections();
      await new Promise<void>((resolve) => running.close(() => resolve()));
      server = undefined;
    },
  };
}
