import { Queue, Worker, type Job } from 'bullmq';
import { Cluster, Redis, ReplyError } from 'ioredis';
import type { RedisConfig } from '../config/schema.ts';
import { ServiceUnavailableError } from '../platform/errors.ts';
import { createLogThrottle, errorKey } from '../platform/log-throttle.ts';
import type { Logger } from '../platform/logger.ts';
import { isUnavailableReply } from '../platform/redis.ts';
import { idempotencyKey, type DeliveryJob } from './case.service.ts';
import type { ProceduresConfig } from './procedures.config.ts';

/**
 * BullMQ speaks ioredis; the rest of the gateway speaks `redis`. This builds an ioredis connection for
 * BullMQ from the same settings: a single server, Sentinel or Cluster. Workers need
 * `maxRetriesPerRequest: null` (they block and must survive reconnections). Queues (`forQueues`) fail
 * fast instead (BullMQ's "Failing fast when Redis is down"): no offline queue, and every command bounded
 * by `redis.commandTimeoutMs`, so a confirmation or a report never waits on a Redis that is away or
 * failing over.
 */
export function bullConnection(config: RedisConfig, options: { forQueues?: boolean } = {}): Redis | Cluster {
  const failFast = options.forQueues
    ? { enableOfflineQueue: false, commandTimeout: config.commandTimeoutMs }
    : {};
  const common = { maxRetriesPerRequest: null, connectTimeout: config.connectTimeoutMs, lazyConnect: true };
  if (config.cluster) {
    return new Cluster(
      config.cluster.nodes.map((url) => ({
        host: new URL(url).hostname,
        port: Number(new URL(url).port || 6379),
      })),
      {
        redisOptions: { ...common, ...failFast },
        ...(options.forQueues ? { enableOfflineQueue: false } : {}),
      },
    );
  }
  if (config.sentinel) {
    return new Redis({
      ...common,
      ...failFast,
      sentinels: config.sentinel.nodes,
      name: config.sentinel.name,
      ...(config.sentinel.password ? { password: config.sentinel.password } : {}),
    });
  }
  return new Redis(config.url ?? 'redis://127.0.0.1:6379', { ...common, ...failFast });
}

export const queueName = (bodyIpa: string, endpointId: string) => `deliver-${bodyIpa}-${endpointId}`;

/**
 * Where BullMQ keeps a queue: `<prefix>bull:{<queue name>}:…`. The braces are the queue's Cluster hash
 * tag (BullMQ's "Redis Cluster" pattern, the queue name wrapped): every key of one queue shares a slot,
 * as its scripts need, and different queues (one per body endpoint) spread over the cluster.
 */
export function queueLocation(redisConfig: RedisConfig, name: string): { name: string; prefix: string } {
  return { name: `{${name}}`, prefix: `${redisConfig.prefix}bull` };
}

/** Failures of the queue's own connection that mean Redis cannot serve now, as the rest of the gateway sees them. */
function unavailable(error: unknown): boolean {
  // ioredis's reply errors carry Redis's error code first; anything else from a fail-fast queue
  // connection is the connection itself (offline, closed, timed out).
  return !(error instanceof ReplyError) || isUnavailableReply((error as Error).message);
}

export interface DeadLetter {
  queue: string;
  id: string;
  job: DeliveryJob;
  reason: string;
  attempts: number;
  failedAt?: string;
}

export type DeliveryProcessor = (job: DeliveryJob) => Promise<string>;

/** Resolves true when `promise` settles within `ms`, false otherwise (its outcome is then ignored). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A worker with the connection made for it alone, and what the supervisor watches of it. */
interface Supervised {
  name: string;
  worker: Worker<DeliveryJob, string>;
  connection: Redis | Cluster;
  /** Deliveries in progress (between BullMQ's 'active' and 'completed'/'failed'). */
  busy: number;
  /** When a delivery last started or ended. */
  lastProgressAt: number;
  lastCheckAt: number;
  /** Jobs waited while this worker had room and fetched none, at the previous check. */
  suspect: boolean;
  restarting: boolean;
}

/**
 * One durable queue per body endpoint (BullMQ), under `<prefix>bull:{<queue>}:` (see queueLocation). A
 * job's id is its delivery's idempotency key, so enqueuing it twice (the recovery sweep after a crash)
 * adds nothing. Failed attempts are retried with exponential back-off; after the last one the job stays
 * in the queue's failed set, which is the dead-letter list the network admin sees and retries.
 *
 * Workers are supervised: BullMQ relies on ioredis to reconnect, and a worker can stay silent after a
 * master is lost (its maintainers' advice: notice it, close it and create a new one). Every
 * `supervisionMs` each worker is checked: one no longer running, or one that had room (or seemed full but
 * neither started nor ended a delivery for longer than one may take) while jobs waited at two checks in a
 * row without fetching any, is closed and created again on a new connection.
 */
export function createDeliveryQueues(
  redisConfig: RedisConfig,
  settings: ProceduresConfig['delivery'],
  endpoints: ReadonlyArray<{ bodyIpa: string; endpointId: string }>,
  logger: Logger,
) {
  let connection: Redis | Cluster | undefined;
  const connect = () => {
    if (!connection) {
      connection = bullConnection(redisConfig, { forQueues: true });
      // The queues report the connection's failures once they exist; before, they are logged here.
      connection.on('error', (error: Error) =>
        throttle.log('warn', errorKey('queue', error), { err: error }, 'delivery queue error'),
      );
    }
    return connection;
  };
  const names = [...new Set(endpoints.map((e) => queueName(e.bodyIpa, e.endpointId)))];
  const queues = new Map<string, Queue>();
  const supervised = new Map<string, Supervised>();
  const throttle = createLogThrottle(logger);
  let closing = false;
  let supervisor: NodeJS.Timeout | undefined;
  let startWorker: ((name: string) => Supervised) | undefined;

  /**
   * The connection, once it serves: a queue is made only then (BullMQ prepares a queue's connection
   * once, when the queue is made, and a queue made while Redis was away failed every operation
   * afterwards with "Connection is closed.", even once Redis was back). Waits for it at most the command
   * timeout, so that filing a case while Redis is away fails fast (a 503) instead of hanging.
   */
  async function connected(): Promise<Redis | Cluster> {
    const client = connect();
    if (client.status === 'ready') return client;
    if (client.status === 'wait') client.connect().catch(() => undefined);
    // One listener for every caller waiting meanwhile, each bounded by its own deadline.
    ready ??= new Promise<void>((resolve) =>
      client.once('ready', () => {
        ready = undefined;
        resolve();
      }),
    );
    if (!(await within(ready, redisConfig.commandTimeoutMs)))
      throw new ServiceUnavailableError('redis_unavailable');
    return client;
  }
  let ready: Promise<void> | undefined;

  const queue = async (name: string) => {
    const existing = queues.get(name);
    if (existing) return existing;
    const client = await connected();
    // Another operation may have made it while this one waited.
    let found = queues.get(name);
    if (!found) {
      const location = queueLocation(redisConfig, name);
      found = new Queue(location.name, { connection: client, prefix: location.prefix });
      found.on('error', (error) =>
        throttle.log('warn', errorKey('queue', error), { err: error }, 'delivery queue error'),
      );
      // Made once per queue name; should its preparation still fail (the connection lost in between), it is
      // dropped and the next operation makes it again.
      const made = found;
      queues.set(name, made);
      made.client.catch(() => {
        if (queues.get(name) !== made) return;
        queues.delete(name);
        made.close().catch(() => undefined);
      });
    }
    return found;
  };

  /** Runs a queue operation; Redis not serving (offline, timed out, OOM, failover…) becomes a 503. */
  async function guarded<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (unavailable(error)) throw new ServiceUnavailableError('redis_unavailable', { cause: error });
      throw error;
    }
  }

  /** Closes a worker: in-flight deliveries may finish within their timeout, then it is forced. */
  async function stopWorker(entry: Supervised, boundMs: number) {
    if (!(await within(entry.worker.close(), boundMs))) await within(entry.worker.close(true), 1000);
    entry.connection.disconnect();
  }

  async function restart(entry: Supervised, reason: string) {
    if (entry.restarting || closing || !startWorker) return;
    entry.restarting = true;
    logger.warn({ queue: entry.name, reason }, 'delivery worker restarted');
    await stopWorker(entry, settings.timeoutMs + 1000);
    if (!closing) supervised.set(entry.name, startWorker(entry.name));
  }

  async function check(entry: Supervised) {
    if (entry.restarting || closing) return;
    if (!entry.worker.isRunning()) return restart(entry, 'not running');
    const waiting = await (await queue(entry.name)).getWaitingCount();
    // A worker that seems full but has neither started nor ended a delivery for longer than one may take
    // is not full: it is stuck (or its count missed the end of a delivery whose connection was lost).
    const full =
      entry.busy >= settings.concurrency && Date.now() - entry.lastProgressAt <= settings.timeoutMs;
    const idle = !full && entry.lastProgressAt < entry.lastCheckAt;
    entry.lastCheckAt = Date.now();
    if (waiting > 0 && idle) {
      if (entry.suspect) return restart(entry, 'jobs waiting, none fetched');
      entry.suspect = true;
    } else entry.suspect = false;
  }

  return {
    names,

    async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
      for (const job of jobs) {
        await guarded(async () =>
          (await queue(queueName(job.bodyIpa, job.endpointId))).add('deliver', job, {
            jobId: idempotencyKey(job.caseId, job.stepId),
            attempts: settings.attempts,
            backoff: { type: 'exponential', delay: settings.backoffMs },
            removeOnComplete: { age: 24 * 60 * 60, count: 10_000 },
            removeOnFail: false,
          }),
        );
      }
    },

    /** Starts a worker per queue in this process (they can as well run in processes of their own). */
    startWorkers(
      process: DeliveryProcessor,
      onDeadLetter: (job: DeliveryJob, reason: string) => Promise<void>,
    ) {
      startWorker = (name) => {
        const workerConnection = bullConnection(redisConfig);
        const location = queueLocation(redisConfig, name);
        const worker = new Worker<DeliveryJob, string>(
          location.name,
          (job: Job<DeliveryJob>) => process(job.data),
          {
            connection: workerConnection,
            prefix: location.prefix,
            concurrency: settings.concurrency,
            lockDuration: settings.lockMs,
            stalledInterval: settings.lockMs,
            // A worker that died holding the job (its instance killed) is not the endpoint failing: another
            // worker takes the job over, not counted in `attempts`, up to maxStalls times (BullMQ's default,
            // 1, sent a delivery whose gateway was killed twice to the dead letters).
            maxStalledCount: settings.maxStalls,
          },
        );
        const entry: Supervised = {
          name,
          worker,
          connection: workerConnection,
          busy: 0,
          lastProgressAt: 0,
          lastCheckAt: Date.now(),
          suspect: false,
          restarting: false,
        };
        worker.on('active', () => {
          entry.busy += 1;
          entry.lastProgressAt = Date.now();
        });
        worker.on('completed', () => {
          entry.busy = Math.max(0, entry.busy - 1);
          entry.lastProgressAt = Date.now();
        });
        worker.on('failed', (job, error) => {
          entry.busy = Math.max(0, entry.busy - 1);
          entry.lastProgressAt = Date.now();
          if (!job) return;
          const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
          logger.warn(
            { queue: name, job: job.id, attempt: job.attemptsMade, final, reason: error.message },
            'delivery failed',
          );
          if (final)
            onDeadLetter(job.data, error.message).catch((e: unknown) =>
              logger.error({ err: e }, 'dead letter not recorded'),
            );
        });
        // While Redis refuses writes or is away, every idle worker fails many times a second: one line
        // per kind of failure a minute, with the count.
        worker.on('error', (error) =>
          throttle.log(
            'error',
            errorKey('delivery-worker', error),
            { err: error, queue: name },
            'delivery worker error',
          ),
        );
        return entry;
      };
      for (const name of names) supervised.set(name, startWorker(name));
      supervisor = setInterval(() => {
        for (const entry of supervised.values())
          check(entry).catch((error: unknown) =>
            throttle.log(
              'warn',
              errorKey('supervisor', error),
              { err: error },
              'delivery worker check failed',
            ),
          );
      }, settings.supervisionMs);
      supervisor.unref();
    },

    /** False while a worker of this instance is not running or being restarted (readiness). */
    workersRunning(): boolean {
      return [...supervised.values()].every((entry) => !entry.restarting && entry.worker.isRunning());
    },

    async deadLetters(limit = 100): Promise<DeadLetter[]> {
      const out: DeadLetter[] = [];
      for (const name of names) {
        for (const job of await guarded(async () => (await queue(name)).getFailed(0, limit - 1))) {
          if (!job?.id) continue;
          out.push({
            queue: name,
            id: job.id,
            job: job.data as DeliveryJob,
            reason: job.failedReason,
            attempts: job.attemptsMade,
            ...(job.finishedOn ? { failedAt: new Date(job.finishedOn).toISOString() } : {}),
          });
        }
      }
      return out;
    },

    /** Puts a dead-lettered delivery back in its queue for a fresh round of attempts and takeovers. */
    async retry(name: string, id: string): Promise<boolean> {
      if (!names.includes(name)) return false;
      return guarded(async () => {
        const found = await queue(name);
        const job = await found.getJob(id);
        if (!job || !(await job.isFailed())) return false;
        // BullMQ keeps the count of takeovers ("stc") across retries and has no option to reset it: without
        // this, a delivery dead-lettered for its takeovers would be again at the first crash.
        await (await found.client).hset(found.toKey(id), { stc: 0 });
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return true;
      });
    },

    /** Counts by state, for the benchmark and readiness. */
    async counts(): Promise<Record<string, number>> {
      const total: Record<string, number> = {};
      for (const name of names) {
        const counts = await guarded(async () =>
          (await queue(name)).getJobCounts('wait', 'active', 'delayed', 'failed', 'completed'),
        );
        for (const [state, n] of Object.entries(counts)) total[state] = (total[state] ?? 0) + n;
      }
      return total;
    },

    /** Counts by state per endpoint (the operators' metrics). */
    async countsPerEndpoint(): Promise<
      { bodyIpa: string; endpointId: string; counts: Record<string, number> }[]
    > {
      const unique = [...new Map(endpoints.map((e) => [queueName(e.bodyIpa, e.endpointId), e])).entries()];
      return Promise.all(
        unique.map(async ([name, endpoint]) => ({
          ...endpoint,
          counts: await guarded(async () =>
            (await queue(name)).getJobCounts('wait', 'active', 'delayed', 'failed', 'completed'),
          ),
        })),
      );
    },

    /**
     * Stops the workers (deliveries in flight get `boundMs` to finish, then are left for another worker
     * to take over) and closes the queues, within about 2 × `boundMs` whatever Redis is doing.
     */
    async close(boundMs = settings.timeoutMs + 1000): Promise<void> {
      closing = true;
      clearInterval(supervisor);
      await Promise.all([...supervised.values()].map((entry) => stopWorker(entry, boundMs)));
      await within(Promise.all([...queues.values()].map((q) => q.close())), boundMs);
      connection?.disconnect();
    },
  };
}

export type DeliveryQueues = ReturnType<typeof createDeliveryQueues>;
