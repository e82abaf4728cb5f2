import { createHmac } from 'node:crypto';
import { createLogThrottle, errorKey } from '../platform/log-throttle.ts';
import type { Logger } from '../platform/logger.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { counterField, hourlyField, normaliseTerm, type StatsEvent } from './events.ts';
import type { StatsConfig } from './stats.config.ts';
import { dayOf, monthOf, statsKeys } from './stats.keys.ts';

const DAY_SECONDS = 86_400;
/** Past this many distinct fields waiting, the batch is written at once rather than at the next tick. */
const MAX_PENDING_FIELDS = 2000;

/**
 * Counts events in memory and writes them to Redis in one pipelined batch per interval (HINCRBY of
 * the sums, PFADD, EXPIRE): a request only adds to a map, so recording never waits on Redis and never
 * fails a request. A batch that Redis refuses is dropped and the failure logged once a minute; a
 * gateway that stops writes what it holds (`flush` from close). HINCRBY is atomic, so any number of
 * instances add to the same counts exactly.
 */
export function createStatsRecorder(
  redis: RedisConnection,
  settings: StatsConfig,
  deps: {
    logger: Logger;
    /** Keys the visitors' daily hash (the session secret): without it a hash could be recomputed. */
    visitorKey: string;
    now?: () => Date;
    /** Told of every batch Redis refused (the operators' metrics). */
    onWriteError?: () => void;
  },
) {
  const keys = statsKeys(redis.prefix);
  const now = deps.now ?? (() => new Date());
  const throttle = createLogThrottle(deps.logger.child({ module: 'stats' }));
  let counters = new Map<string, Map<string, number>>();
  let visitors = new Map<string, Set<string>>();
  let expiries = new Map<string, number>();
  let pending = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const dailyKeys = new Map<string, Buffer>();

  const add = (key: string, field: string, by = 1) => {
    let fields = counters.get(key);
    if (!fields) counters.set(key, (fields = new Map()));
    if (!fields.has(field)) pending += 1;
    fields.set(field, (fields.get(field) ?? 0) + by);
  };

  /** The visitor as a keyed hash that changes every day: the same visitor cannot be followed across days. */
  function visitorHash(day: string, visitor: string): string {
    let key = dailyKeys.get(day);
    if (!key) {
      if (dailyKeys.size > 3) dailyKeys.clear();
      key = createHmac('sha256', deps.visitorKey).update(`stats-visitor:${day}`).digest();
      dailyKeys.set(day, key);
    }
    return createHmac('sha256', key).update(visitor).digest('base64url').slice(0, 16);
  }

  function record(event: StatsEvent): void {
    const at = now();
    const day = dayOf(at);
    const month = monthOf(at);
    const field = counterField(event);
    add(keys.day(day), field);
    add(keys.hours(day), `${at.toISOString().slice(11, 13)}|${hourlyField(event, field)}`);
    add(keys.month(month), field);
    expiries.set(keys.day(day), settings.dailyRetentionDays * DAY_SECONDS);
    expiries.set(keys.hours(day), settings.hourlyRetentionDays * DAY_SECONDS);
    expiries.set(keys.month(month), (settings.monthlyRetentionMonths + 1) * 31 * DAY_SECONDS);
    if (event.kind === 'search' && event.zeroResults && event.term) {
      const term = normaliseTerm(event.term);
      if (term) {
        const hll = keys.termVisitors(month, term);
        add(keys.zeroResults(month), term);
        let set = visitors.get(hll);
        if (!set) visitors.set(hll, (set = new Set()));
        set.add(visitorHash(day, event.visitor));
        expiries.set(keys.zeroResults(month), (settings.monthlyRetentionMonths + 1) * 31 * DAY_SECONDS);
        expiries.set(hll, (settings.monthlyRetentionMonths + 1) * 31 * DAY_SECONDS);
      }
    }
    if (pending >= MAX_PENDING_FIELDS) void flush();
  }

  /** Writes what was counted since the last batch (after the batch in flight, so batches never overlap). */
  function flush(): Promise<void> {
    inFlight = inFlight.then(write, write);
    return inFlight;
  }

  async function write(): Promise<void> {
    if (pending === 0 && visitors.size === 0) return;
    const batch = { counters, visitors, expiries };
    counters = new Map();
    visitors = new Map();
    expiries = new Map();
    pending = 0;
    const { client } = redis;
    // Sent together in one tick: the client pipelines them (each command to its key's node on a Cluster).
    const commands: Promise<unknown>[] = [];
    for (const [key, fields] of batch.counters)
      for (const [field, by] of fields) commands.push(client.hIncrBy(key, field, by));
    for (const [key, members] of batch.visitors) commands.push(client.pfAdd(key, [...members]));
    for (const [key, seconds] of batch.expiries) commands.push(client.expire(key, seconds));
    const results = await Promise.allSettled(commands);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      deps.onWriteError?.();
      throttle.log(
        'warn',
        errorKey('stats', failed.reason),
        { err: { message: (failed.reason as Error)?.message } },
        'statistics not written (the counts of this batch are lost)',
      );
    } else throttle.clear();
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    record,
    flush,
    start() {
      timer ??= setInterval(() => void flush(), settings.flushIntervalMs);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}

export type StatsRecorder = ReturnType<typeof createStatsRecorder>;
