/**
 * Throughput and p99 latency under 50 concurrent connections of the two pages issue #2 (item 13) names —
 * (a) the anonymous home page and (b) a page that reads a logged-in citizen's session, here a service's
 * information sheet seen logged in (the citizen's name in the header, their favourite button, the
 * session's form token) — each against a bare Express + express-session + connect-redis app that serves
 * a page of the same byte size from the same Redis (the logged-in one reading a session created
 * beforehand and showing the citizen's name), measured in the same run. The machine is shared, so the
 * two apps are measured in short interleaved rounds (the order alternating) and the medians compared.
 * The gateway runs as production runs it — compiled by tsc (`npm run build`, built here first), not
 * through tsx, whose esbuild transform names every function a request creates at run time — as
 * configured for the demo, with the request log at production level (info) written the way production
 * writes it (src/platform/logger.ts's logDestination, as for stdout) to /dev/null. Needs the test Redis (127.0.0.1:6379); writes under its own key prefix and deletes it.
 * Run: npx tsx bench/http-pages.ts [rounds] [seconds per measurement], or import `runHttpPagesBench`.
 * Target: the gateway at ≥ 0.5 of the baseline's requests per second on both pages and on the personal
 * area (/me), the heaviest logged-in page: besides the session it reads seven keys of five modules
 * (sessions, linked identities, SSO consents and history, cases, drafts) and renders them for this
 * citizen alone; well above what a network needs, with every library used as documented. Two rows have
 * no target: they send a fixed page through the gateway's whole
 * platform (request log, helmet and the nonce, languages, session, guards): one anonymous, of the home
 * page's size, against the baseline's home; one with the logged-in citizen's session (read and renewed,
 * as the baseline does it), of /me's size, against the baseline's /me: what the platform costs before
 * any page is built.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { RedisStore } from 'connect-redis';
import express, { Router, type Express, type Request, type Response } from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { execFileSync } from 'node:child_process';
import type * as App from '../src/app.ts';
import type { Config } from '../src/config/schema.ts';
import type * as Gateway from '../src/gateway.ts';
import type * as Logger from '../src/platform/logger.ts';
import type * as Redis from '../src/platform/redis.ts';
import { deleteKeys, listen, testCitizen, testConfig, testLoginRoutes } from '../test/helpers/gateway.ts';
import { autocannon, type LoadResult } from './autocannon.ts';

const CONNECTIONS = 50;
const DEFAULT_ROUNDS = 5;
const DEFAULT_SECONDS = 4;
export const TARGET_RATIO = 0.5;

export interface HttpPagesBenchOptions {
  /** Interleaved rounds (default 5); each measures every page of both apps once. */
  rounds?: number;
  /** Seconds of each measurement (default 4). */
  seconds?: number;
  /** Where each scenario's figures are printed as one JSON line (default console.log; null: silent). */
  print?: ((line: string) => void) | null;
}

export interface HttpPageFigures {
  bench: 'http-pages';
  scenario: string;
  bytes: number;
  rounds: number;
  requestsPerSecond: number;
  p99Ms: number;
  baselineRequestsPerSecond: number;
  baselineP99Ms: number;
  ratio: number;
  /** Undefined for the diagnostic measurement, which has no target. */
  meetsTarget?: boolean;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Lets the requests the load generator left in flight finish before a server and its Redis client close. */
const drain = () => new Promise((resolve) => setTimeout(resolve, 250));

/** An HTML page of exactly `bytes` bytes that shows `text`. */
function pageOfSize(bytes: number, text: string): string {
  const frame = (padding: string) =>
    `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>${text}</title></head><body><h1>${text}</h1><p>${padding}</p></body></html>`;
  const missing = bytes - Buffer.byteLength(frame(''));
  if (missing < 0) throw new Error(`a page of ${bytes} bytes cannot hold its frame`);
  return frame('x'.repeat(missing));
}

/**
 * The baseline: express-session on connect-redis with the gateway's session settings (store prefix and
 * TTL, cookie, rolling idle timeout), on its own `redis` client, serving fixed pages of the given sizes.
 */
async function startBaseline(config: Readonly<Config>, sizes: { home: number; me: number; service: number }) {
  const client = createClient({ url: config.redis.url });
  await client.connect();
  const app: Express = express();
  app.disable('x-powered-by');
  app.use(
    session({
      store: new RedisStore({
        client,
        prefix: `${config.redis.prefix}baseline:sess:`,
        ttl: config.session.idleTimeoutSeconds,
      }),
      name: config.session.cookieName,
      secret: [...config.session.secrets],
      resave: false,
      saveUninitialized: false,
      rolling: true,
      unset: 'destroy',
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: false,
        path: '/',
        maxAge: config.session.idleTimeoutSeconds * 1000,
      },
    }),
  );
  const home = pageOfSize(sizes.home, config.network.name);
  app.get('/', (_req, res) => {
    res.type('html').send(home);
  });
  app.get('/login', (req, res, next) => {
    req.session.citizen = testCitizen();
    req.session.createdAt = Date.now();
    req.session.save((error) => (error ? next(error) : res.json({ ok: true })));
  });
  // A page of the logged-in citizen: the session read, their name shown.
  const citizenPage = (bytes: number) => (req: Request, res: Response) => {
    const citizen = req.session.citizen;
    if (!citizen) return res.redirect(303, '/login');
    res.type('html').send(pageOfSize(bytes, `${citizen.name} ${citizen.familyName}`));
  };
  app.get('/me', citizenPage(sizes.me));
  app.get('/service', citizenPage(sizes.service));
  const server = await listen(app);
  return {
    url: server.url,
    async close() {
      await drain();
      await server.close();
      await client.quit();
    },
  };
}

/** The diagnostic pages: fixed HTML served after all the platform's middleware, like the feature routes. */
const FIXED_PAGE_PATHS = { anonymous: '/__bench/fixed-page', loggedIn: '/__bench/fixed-page-logged-in' };

/** The gateway's modules as production runs them: src compiled by tsc into dist/ (`npm run build`). */
async function productionBuild(build: boolean) {
  const require = createRequire(import.meta.url);
  if (build)
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      stdio: 'inherit',
    });
  const load = <T>(module: string) =>
    import(new URL(`../dist/${module}.js`, import.meta.url).href) as Promise<T>;
  return {
    ...(await load<typeof App>('app')),
    ...(await load<typeof Gateway>('gateway')),
    ...(await load<typeof Logger>('platform/logger')),
    ...(await load<typeof Redis>('platform/redis')),
  };
}

/** The real gateway (demo configuration, its own key prefix), with a test-only login route. */
async function startGateway(build: boolean) {
  const { createApp, buildGateway, createLogger, logDestination, connectRedis, createRedisConnection } =
    await productionBuild(build);
  const config = testConfig({
    log: { level: 'info' },
    rateLimit: {
      login: { windowSeconds: 60, max: 1_000_000 },
      loginReturn: { windowSeconds: 60, max: 1_000_000 },
      forms: { windowSeconds: 60, max: 1_000_000 },
      api: { windowSeconds: 60, max: 1_000_000 },
    },
  });
  const logger = createLogger(config.log.level, logDestination('/dev/null'));
  const redis = createRedisConnection(config.redis, logger);
  await connectRedis(redis);
  const deps = await buildGateway(config, logger, redis);
  const fixedPages = new Map<string, string>();
  const fixed = Router().get(Object.values(FIXED_PAGE_PATHS), (req, res) => {
    res.type('html').send(fixedPages.get(req.path) ?? '');
  });
  const server = await listen(createApp(deps, [testLoginRoutes(deps), fixed]));
  return {
    config,
    url: server.url,
    setFixedPage(path: string, html: string) {
      fixedPages.set(path, html);
    },
    async close() {
      await drain();
      await server.close();
      await deleteKeys(redis, config.redis.prefix); // the baseline's keys too: they share the prefix
      await redis.close();
    },
  };
}

/** Logs in through the app's login route and returns the session cookie to send. */
async function sessionCookie(loginUrl: string): Promise<string> {
  const res = await fetch(loginUrl, { redirect: 'manual' });
  if (res.status !== 200) throw new Error(`${loginUrl}: ${res.status}`);
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0];
  if (!cookie) throw new Error(`${loginUrl} set no session cookie`);
  return cookie;
}

/** The body size of a page, checking it answers 200 with HTML. */
async function pageBytes(url: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, { headers: { Accept: 'text/html', ...headers }, redirect: 'manual' });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/html'))
    throw new Error(`${url}: ${res.status} ${res.headers.get('content-type')}`);
  return body.length;
}

/** The first service the catalog's search page lists (its information sheet: a page read by all). */
async function firstServicePath(url: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${url}/services`, { headers });
  const path = /href="(\/services\/[a-z0-9-]+)"/.exec(await res.text())?.[1];
  if (res.status !== 200 || !path) throw new Error(`${url}/services: ${res.status}, no service listed`);
  return path;
}

async function load(url: string, headers: Record<string, string>, seconds: number): Promise<LoadResult> {
  // The load generator runs in a worker thread, so it does not share the servers' event loop.
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers, workers: 1 });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0)
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  return result;
}

export interface Scenario {
  name: string;
  /** The gateway's path, and the baseline's when it has none of its own. */
  path: string;
  baselinePath?: string;
  diagnostic?: boolean;
  gatewayHeaders: Record<string, string>;
  baselineHeaders: Record<string, string>;
  bytes: number;
}

/**
 * The gateway and the baseline, started and logged in, and the pages measured on both (each checked to
 * answer 200 with the same number of bytes from both apps). `close` stops both. `build: false` runs
 * dist/ as it is, without compiling src/ first.
 */
export async function startHttpPages(options: { build?: boolean } = {}) {
  const gateway = await startGateway(options.build ?? true);
  let baseline: Awaited<ReturnType<typeof startBaseline>> | undefined;
  try {
    const accept = { Accept: 'text/html,application/xhtml+xml', 'Accept-Language': 'it-IT,it;q=0.9' };
    const gatewayCookie = await sessionCookie(`${gateway.url}/__test/login`);
    const loggedIn = { ...accept, Cookie: gatewayCookie };
    const servicePath = await firstServicePath(gateway.url, loggedIn);
    const sizes = {
      home: await pageBytes(`${gateway.url}/`, accept),
      me: await pageBytes(`${gateway.url}/me`, loggedIn),
      service: await pageBytes(`${gateway.url}${servicePath}`, loggedIn),
    };
    baseline = await startBaseline(gateway.config, sizes);
    const baselineCookie = await sessionCookie(`${baseline.url}/login`);
    const scenarios: Scenario[] = [
      {
        name: 'home (anonymous)',
        path: '/',
        gatewayHeaders: accept,
        baselineHeaders: accept,
        bytes: sizes.home,
      },
      {
        name: 'service page, logged in (session read)',
        path: servicePath,
        baselinePath: '/service',
        gatewayHeaders: loggedIn,
        baselineHeaders: { ...accept, Cookie: baselineCookie },
        bytes: sizes.service,
      },
      {
        name: '/me (session and seven reads)',
        path: '/me',
        gatewayHeaders: loggedIn,
        baselineHeaders: { ...accept, Cookie: baselineCookie },
        bytes: sizes.me,
      },
    ];
    gateway.setFixedPage(FIXED_PAGE_PATHS.anonymous, pageOfSize(sizes.home, gateway.config.network.name));
    gateway.setFixedPage(FIXED_PAGE_PATHS.loggedIn, pageOfSize(sizes.me, gateway.config.network.name));
    scenarios.push(
      {
        name: 'platform only (fixed page)',
        path: FIXED_PAGE_PATHS.anonymous,
        baselinePath: '/',
        diagnostic: true,
        gatewayHeaders: accept,
        baselineHeaders: accept,
        bytes: sizes.home,
      },
      {
        name: 'platform only, logged in (fixed page)',
        path: FIXED_PAGE_PATHS.loggedIn,
        baselinePath: '/me',
        diagnostic: true,
        gatewayHeaders: loggedIn,
        baselineHeaders: { ...accept, Cookie: baselineCookie },
        bytes: sizes.me,
      },
    );
    for (const scenario of scenarios) {
      const [gatewayBytes, baselineBytes] = [
        await pageBytes(`${gateway.url}${scenario.path}`, scenario.gatewayHeaders),
        await pageBytes(`${baseline.url}${scenario.baselinePath ?? scenario.path}`, scenario.baselineHeaders),
      ];
      if (gatewayBytes !== scenario.bytes || baselineBytes !== scenario.bytes)
        throw new Error(
          `${scenario.name}: ${gatewayBytes} and ${baselineBytes} bytes, not ${scenario.bytes}`,
        );
    }

    const started = baseline;
    return {
      servers: { gateway: gateway.url, baseline: baseline.url },
      scenarios,
      async close() {
        await started.close();
        await gateway.close();
      },
    };
  } catch (error) {
    await baseline?.close();
    await gateway.close();
    throw error;
  }
}

/** Measures both pages of both apps in interleaved rounds; prints one JSON line per page and returns the figures. */
export async function runHttpPagesBench(options: HttpPagesBenchOptions = {}): Promise<HttpPageFigures[]> {
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const seconds = options.seconds ?? DEFAULT_SECONDS;
  const print = options.print === undefined ? (line: string) => console.log(line) : options.print;
  const { servers, scenarios, close } = await startHttpPages();
  try {
    const measured = new Map<string, { gateway: LoadResult[]; baseline: LoadResult[] }>(
      scenarios.map((s) => [s.name, { gateway: [], baseline: [] }]),
    );
    // One short warm-up of each (JIT, view cache, connection pools), not counted.
    for (const scenario of scenarios) {
      await load(`${servers.baseline}${scenario.baselinePath ?? scenario.path}`, scenario.baselineHeaders, 1);
      await load(`${servers.gateway}${scenario.path}`, scenario.gatewayHeaders, 1);
    }
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? (['baseline', 'gateway'] as const) : (['gateway', 'baseline'] as const);
      for (const scenario of scenarios) {
        for (const app of order) {
          const headers = app === 'gateway' ? scenario.gatewayHeaders : scenario.baselineHeaders;
          const results = measured.get(scenario.name)![app];
          const path = app === 'baseline' ? (scenario.baselinePath ?? scenario.path) : scenario.path;
          results.push(await load(`${servers[app]}${path}`, headers, seconds));
        }
      }
    }

    return scenarios.map((scenario) => {
      const results = measured.get(scenario.name)!;
      const rps = median(results.gateway.map((r) => r.requests.average));
      const baselineRps = median(results.baseline.map((r) => r.requests.average));
      const figures: HttpPageFigures = {
        bench: 'http-pages',
        scenario: scenario.name,
        bytes: scenario.bytes,
        rounds,
        requestsPerSecond: round(rps),
        p99Ms: median(results.gateway.map((r) => r.latency.p99)),
        baselineRequestsPerSecond: round(baselineRps),
        baselineP99Ms: median(results.baseline.map((r) => r.latency.p99)),
        ratio: round(rps / baselineRps, 3),
        ...(scenario.diagnostic ? {} : { meetsTarget: rps / baselineRps >= TARGET_RATIO }),
      };
      print?.(JSON.stringify(figures));
      return figures;
    });
  } finally {
    await close();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  await runHttpPagesBench({
    ...(process.argv[2] ? { rounds: Number(process.argv[2]) } : {}),
    ...(process.argv[3] ? { seconds: Number(process.argv[3]) } : {}),
  });
  process.exit(0);
}
