import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Router, type Express } from 'express';
import * as cheerio from 'cheerio';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { buildGateway, type Gateway } from '../../src/gateway.ts';
import type { CitizenIdentity } from '../../src/identity/citizen.ts';
import { createLogger, type Logger } from '../../src/platform/logger.ts';
import {
  connectRedis,
  createRedisConnection,
  type RedisConnection,
  type SingleClient,
} from '../../src/platform/redis.ts';

/** Session secret for tests only; never used outside the test suite. */
export const TEST_ONLY_SESSION_SECRET = 'test-only-session-secret-0123456789abcdef';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Tree = Record<string, unknown>;

/** A configuration for tests: its own key prefix on the test Redis, so tests never touch other data. */
export function testConfig(overrides: Tree = {}): Readonly<Config> {
  const base = {
    env: 'test',
    demo: true,
    redis: { url: TEST_REDIS_URL, prefix: `varco-test:${randomBytes(4).toString('hex')}:` },
    session: { secrets: [TEST_ONLY_SESSION_SECRET] },
    log: { level: process.env.TEST_LOG_LEVEL ?? 'silent' },
    // The statistics tests count from zero; test/integration/stats-demo.test.ts turns the demo's year on.
    stats: { demoHistory: false },
  };
  return loadConfig({ env: {}, overrides: deepMerge(base, overrides) });
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A citizen for tests (a syntactically valid, fictitious fiscal code). */
export function testCitizen(overrides: Partial<CitizenIdentity> = {}): CitizenIdentity {
  return {
    fiscalCode: 'RSSMRA80A01H501U',
    name: 'Mario',
    familyName: 'Rossi',
    level: 2,
    provider: 'spid',
    issuer: 'https://idp.test.invalid',
    loginAt: Date.now(),
    ...overrides,
  };
}

/**
 * A test-only login: GET /__test/login?fiscalCode=…&level=…&name=…&familyName=… goes through the real session service
 * (regeneration, index) without an identity provider. Only ever mounted by tests and benchmarks.
 */
export function testLoginRoutes(deps: Gateway): Router {
  const router = Router();
  router.get('/__test/login', async (req, res) => {
    const fiscalCode = typeof req.query.fiscalCode === 'string' ? req.query.fiscalCode : undefined;
    const level = Number(req.query.level ?? 2) as 1 | 2 | 3;
    const names = Object.fromEntries(
      (['name', 'familyName'] as const).flatMap((field) =>
        typeof req.query[field] === 'string' ? [[field, req.query[field]]] : [],
      ),
    ) as Partial<CitizenIdentity>;
    await deps.loginSessions.establish(
      req,
      testCitizen({ ...(fiscalCode ? { fiscalCode } : {}), ...names, level }),
    );
    res.json({ ok: true });
  });
  return router;
}

export interface TestGateway {
  app: Express;
  deps: Gateway;
  redis: RedisConnection;
  config: Readonly<Config>;
  /** Deletes the gateway's keys and closes its connection. */
  close(): Promise<void>;
}

export async function createTestGateway(
  overrides: Tree = {},
  config = testConfig(overrides),
  /** What tests replace of the gateway's outside world (e.g. a name resolver for outbound requests). */
  services: Parameters<typeof buildGateway>[3] = {},
  /** Where the gateway logs (tests that read the log pass their own). */
  logger: Logger = createLogger(config.log.level),
): Promise<TestGateway> {
  const redis = createRedisConnection(config.redis, logger);
  await connectRedis(redis);
  const deps = await buildGateway(config, logger, redis, services);
  const app = createApp(deps, [testLoginRoutes(deps)]);
  return {
    app,
    deps,
    redis,
    config,
    async close() {
      await deps.close();
      // A Cluster's keys are spread over its nodes: its tests throw the whole cluster away instead.
      if (redis.isUp() && !config.redis.cluster) await deleteKeys(redis, config.redis.prefix);
      await redis.close();
    },
  };
}

export async function deleteKeys(redis: RedisConnection, prefix: string): Promise<void> {
  const client = redis.client as SingleClient; // tests run against a single Redis server
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
}

/** Listens on a spare loopback port; returns the base URL and a closer. */
export async function listen(app: Express): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The CSRF token of the first form on a page. */
export function csrfTokenFrom(html: string): string {
  const token = cheerio.load(html)('input[name="_csrf"]').first().val();
  if (typeof token !== 'string' || token === '') throw new Error('no CSRF token on the page');
  return token;
}

/**
 * Where the page that answers a logout sends the browser on (the identity provider's logout URL): its
 * immediate refresh and its link must name the same URL.
 */
export function logoutOnwardFrom(html: string): string {
  const $ = cheerio.load(html);
  const link = $('main a[href]').first().attr('href');
  const refresh = $('head meta[http-equiv="refresh"]').attr('content');
  if (!link || refresh !== `0; url=${link}`)
    throw new Error('not the page that sends the browser on after logout');
  return link;
}
