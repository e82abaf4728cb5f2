import { timingSafeEqual, createHash } from 'node:crypto';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { NotFoundError } from '../platform/errors.ts';
import type { RedisConnection } from '../platform/redis.ts';

/** Per endpoint, its delivery jobs by state (BullMQ's states: wait, active, delayed, failed, completed). */
export type DeliveryCounts = () => Promise<
  { bodyIpa: string; endpointId: string; counts: Record<string, number> }[]
>;

/** The longest a scrape waits on Redis for the queues' depths: a scrape must answer while Redis is away. */
const SCRAPE_REDIS_MS = 1000;

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([
    work,
    new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);

/**
 * The operators' metrics in the Prometheus text format (prom-client), in a registry of this gateway's
 * own (several gateways in one process, as in the tests, do not mix): HTTP requests by route pattern
 * and status with their latency, Redis errors and round trip, the delivery queues per endpoint, login
 * outcomes, the statistics' lost batches, and the process's own metrics.
 */
export function createMetrics(deps: {
  redis: RedisConnection;
  deliveries?: DeliveryCounts;
  /** The mail queue's jobs by state. */
  mail?: () => Promise<Record<string, number>>;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const http = new Histogram({
    name: 'varco_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status, and how long they took',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const redisErrors = new Counter({
    name: 'varco_redis_errors_total',
    help: 'Errors of the Redis connection (lost connection, refused commands)',
    registers,
  });
  deps.redis.client.on('error', () => redisErrors.inc());
  new Gauge({
    name: 'varco_redis_up',
    help: 'Whether Redis answered a write within a second at the last scrape (1) or not (0)',
    registers,
    async collect() {
      this.set((await deps.redis.ping(SCRAPE_REDIS_MS)) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'varco_redis_round_trip_seconds',
    help: 'How long the readiness write to Redis took at the last scrape',
    registers,
    async collect() {
      const start = process.hrtime.bigint();
      await deps.redis.ping(SCRAPE_REDIS_MS);
      this.set(Number(process.hrtime.bigint() - start) / 1e9);
    },
  });
  const deliveries = deps.deliveries;
  if (deliveries)
    new Gauge({
      name: 'varco_delivery_jobs',
      help: 'Delivery jobs per endpoint by state: wait, active, delayed (waiting to retry), failed (dead letters), completed',
      labelNames: ['body', 'endpoint', 'state'] as const,
      registers,
      async collect() {
        this.reset();
        const found = await within(SCRAPE_REDIS_MS, deliveries()).catch(() => []);
        for (const { bodyIpa, endpointId, counts } of found)
          for (const [state, n] of Object.entries(counts))
            this.set({ body: bodyIpa, endpoint: endpointId, state }, n);
      },
    });
  const mail = deps.mail;
  if (mail)
    new Gauge({
      name: 'varco_mail_jobs',
      help: 'Mail jobs by state: wait, active, delayed (waiting to retry), failed (given up), completed',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        this.reset();
        const counts = await within(SCRAPE_REDIS_MS, mail()).catch(() => ({}));
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  const logins = new Counter({
    name: 'varco_logins_total',
    help: 'Citizen logins by provider, level and outcome',
    labelNames: ['provider', 'level', 'outcome'] as const,
    registers,
  });
  const statsLost = new Counter({
    name: 'varco_statistics_batches_lost_total',
    help: 'Batches of usage counts Redis refused (their counts are lost)',
    registers,
  });

  /** Times every request, labelled with the route pattern that answered it (never the raw URL). */
  const observe: RequestHandler = (req, res, next) => {
    const end = http.startTimer();
    res.once('finish', () =>
      end({ method: req.method, route: routeOf(req, res), status: String(res.statusCode) }),
    );
    next();
  };

  return {
    registry,
    observe,
    loginOutcome: (o: { provider: string; level: number | undefined; outcome: string }) =>
      logins.inc({ provider: o.provider, level: String(o.level ?? '-'), outcome: o.outcome }),
    statsBatchLost: () => statsLost.inc(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The Express route pattern (`/services/:serviceId`) under its router's mount path; requests no route
 * answered are grouped (a mounted app such as the OpenID Provider's under its path), so that no label
 * ever holds a value from the URL.
 */
function routeOf(req: Request, res: Response): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route && typeof route.path === 'string') return `${req.baseUrl}${route.path}`;
  if (res.statusCode === 404) return 'unmatched';
  return req.baseUrl ? `${req.baseUrl}/*` : 'other';
}

/**
 * GET /metrics: 404 without a configured token (the endpoint does not exist), 401 without the right
 * `Authorization: Bearer` token, compared in constant time (over hashes, so lengths do not leak).
 */
export function metricsRoutes(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  const expected = token ? createHash('sha256').update(token).digest() : undefined;
  router.get('/metrics', (req: Request, res: Response, next: NextFunction) => {
    if (!expected) return next(new NotFoundError());
    const given = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (!timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
      res.set('WWW-Authenticate', 'Bearer realm="metrics"').set('Cache-Control', 'no-store');
      res.status(401).type('text/plain').send('unauthorized\n');
      return;
    }
    metrics.registry
      .metrics()
      .then((text) => {
        res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(text);
      })
      .catch(next);
  });
  return router;
}
