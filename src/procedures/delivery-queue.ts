import { Queue, Worker, type Job } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../config/schema.ts';
import type { Logger } from '../platform/logger.ts';
import { idempotencyKey, type DeliveryJob } from './case.service.ts';
import type { ProceduresConfig } from './procedures.config.ts';

/**
 * BullMQ speaks ioredis; the rest of the gateway speaks `redis`. This builds BullMQ's own
 * ioredis connection from the same settings: a single server, Sentinel or Cluster. Workers need
 * `maxRetriesPerRequest: null` (they block and must survive reconnections).
 */
export function bullConnection(config: RedisConfig): Redis | Cluster {
  const common = { maxRetriesPerRequest: null, connectTimeout: config.connectTimeoutMs, lazyConnect: true };
  if (config.cluster) {
    return new Cluster(
      config.cluster.nodes.map((url) => ({
        host: new URL(url).hostname,
        port: Number(new URL(url).port || 6379),
      })),
      { redisOptions: common },
    );
  }
  if (config.sentinel) {
    return new Redis({
      ...common,
      sentinels: config.sentinel.nodes,
      name: config.sentinel.name,
      ...(config.sentinel.password ? { password: config.sentinel.password } : {}),
    });
  }
  return new Redis(config.url ?? 'redis://127.0.0.1:6379', common);
}

export const queueName = (bodyIpa: string, endpointId: string) => `deliver-${bodyIpa}-${endpointId}`;

export interface DeadLetter {
  queue: string;
  id: string;
  job: DeliveryJob;
  reason: string;
  attempts: number;
  failedAt?: string;
}

export type DeliveryProcessor = (job: DeliveryJob) => Promise<string>;

/**
 * One durable queue per body endpoint (BullMQ), under `<prefix>bull:`. A job's id is its delivery's
 * idempotency key, so enqueuing it twice (the recovery sweep after a crash) adds nothing. Failed attempts
 * are retried with exponential back-off; after the last one the job stays in the queue's failed set,
 * which is the dead-letter list the network admin sees and retries.
 */
export function createDeliveryQueues(
  redisConfig: RedisConfig,
  settings: ProceduresConfig['delivery'],
  endpoints: ReadonlyArray<{ bodyIpa: string; endpointId: string }>,
  logger: Logger,
) {
  // Cluster: every key of a queue must share a slot, hence the hash tag around the prefix.
  const prefix = redisConfig.cluster ? `{${redisConfig.prefix}bull}` : `${redisConfig.prefix}bull`;
  let connection: Redis | Cluster | undefined;
  const connect = () => (connection ??= bullConnection(redisConfig));
  const names = [...new Set(endpoints.map((e) => queueName(e.bodyIpa, e.endpointId)))];
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];

  const queue = (name: string) => {
    let found = queues.get(name);
    if (!found) queues.set(name, (found = new Queue(name, { connection: connect(), prefix })));
    return found;
  };

  return {
    names,

    async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
      for (const job of jobs) {
        await queue(queueName(job.bodyIpa, job.endpointId)).add('deliver', job, {
          jobId: idempotencyKey(job.caseId, job.stepId),
          attempts: settings.attempts,
          backoff: { type: 'exponential', delay: settings.backoffMs },
          removeOnComplete: { age: 24 * 60 * 60, count: 10_000 },
          removeOnFail: false,
        });
      }
    },

    /** Starts a worker per queue in this process (they can as well run in processes of their own). */
    startWorkers(
      process: DeliveryProcessor,
      onDeadLetter: (job: DeliveryJob, reason: string) => Promise<void>,
    ) {
      for (const name of names) {
        const worker = new Worker<DeliveryJob, string>(name, (job: Job<DeliveryJob>) => process(job.data), {
          connection: connect(),
          prefix,
          concurrency: settings.concurrency,
          lockDuration: settings.lockMs,
          stalledInterval: settings.lockMs,
          // A worker that died holding the job (its instance killed) is not the endpoint failing: another
          // worker takes the job over, not counted in `attempts`, up to maxStalls times (BullMQ's default,
          // 1, sent a delivery whose gateway was killed twice to the dead letters).
          maxStalledCount: settings.maxStalls,
        });
        worker.on('failed', (job, error) => {
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
        worker.on('error', (error) => logger.error({ err: error, queue: name }, 'delivery worker error'));
        workers.push(worker);
      }
    },

    async deadLetters(limit = 100): Promise<DeadLetter[]> {
      const out: DeadLetter[] = [];
      for (const name of names) {
        for (const job of await queue(name).getFailed(0, limit - 1)) {
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
      const found = queue(name);
      const job = await found.getJob(id);
      if (!job || !(await job.isFailed())) return false;
      // BullMQ keeps the count of takeovers ("stc") across retries and has no option to reset it: without
      // this, a delivery dead-lettered for its takeovers would be again at the first crash.
      await (await found.client).hset(found.toKey(id), { stc: 0 });
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    },

    /** Counts by state, for the benchmark and readiness. */
    async counts(): Promise<Record<string, number>> {
      const total: Record<string, number> = {};
      for (const name of names) {
        const counts = await queue(name).getJobCounts('wait', 'active', 'delayed', 'failed', 'completed');
        for (const [state, n] of Object.entries(counts)) total[state] = (total[state] ?? 0) + n;
      }
      return total;
    },

    async close(): Promise<void> {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
      if (connection) await connection.quit().catch(() => undefined);
    },
  };
}

export type DeliveryQueues = ReturnType<typeof createDeliveryQueues>;
