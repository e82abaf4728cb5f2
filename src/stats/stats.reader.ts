import type { RedisConnection } from '../platform/redis.ts';
import { statsKeys } from './stats.keys.ts';

/** A range of whole days (UTC), both ends included, as YYYY-MM-DD. */
export interface DayRange {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last day of a month (YYYY-MM). */
export function monthEnd(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return isoDay(Date.UTC(year, m, 1) - DAY_MS);
}

/**
 * The keys a range is read from: the monthly rollup of every month it covers whole, the days of the
 * months it covers in part (so a year is read in about twelve hashes, not 365).
 */
export function rangeKeys(prefix: string, range: DayRange): string[] {
  const keys = statsKeys(prefix);
  const out: string[] = [];
  let month = range.from.slice(0, 7);
  const last = range.to.slice(0, 7);
  for (;;) {
    const start = `${month}-01`;
    const end = monthEnd(month);
    if (range.from <= start && range.to >= end) out.push(keys.month(month));
    else {
      const first = Math.max(dayMs(range.from), dayMs(start));
      const final = Math.min(dayMs(range.to), dayMs(end));
      for (let at = first; at <= final; at += DAY_MS) out.push(keys.day(isoDay(at)));
    }
    if (month === last) break;
    month = isoDay(dayMs(end) + DAY_MS).slice(0, 7);
  }
  return out;
}

/** How long the sums of past days and months are reused (a late batch of a day just ended shows after it). */
const SEALED_TTL_MS = 60_000;
const SEALED_ENTRIES = 32;

type TermCount = { term: string; searches: number; visitors: number };

const addInto = (total: Map<string, number>, fields: Iterable<[string, string | number]>) => {
  for (const [field, value] of fields) total.set(field, (total.get(field) ?? 0) + Number(value));
};

/**
 * Reads the counters of a range, summed; and the terms searched that found nothing. What no longer
 * changes (days before today, months before this one) is summed once and reused for a minute, so a
 * year's page does not read and add up twelve months at every view; today and this month are always
 * read afresh, so what was just counted shows at once.
 */
export function createStatsReader(redis: RedisConnection, now: () => Date = () => new Date()) {
  const keys = statsKeys(redis.prefix);
  const { client } = redis;
  const sealedSums = new Map<string, { at: number; value: Promise<Map<string, number>> }>();
  const sealedTerms = new Map<string, { at: number; value: Promise<TermCount[]> }>();

  const sumOf = async (list: string[]) => {
    const total = new Map<string, number>();
    for (const hash of await Promise.all(list.map((key) => client.hGetAll(key))))
      addInto(total, Object.entries(hash));
    return total;
  };

  /** A value made once per minute per key; a failed one is forgotten at once. */
  function remembered<T>(
    cache: Map<string, { at: number; value: Promise<T> }>,
    key: string,
    make: () => Promise<T>,
  ) {
    const at = Date.now();
    const found = cache.get(key);
    if (found && at - found.at < SEALED_TTL_MS) return found.value;
    if (cache.size >= SEALED_ENTRIES) cache.clear();
    const value = make();
    value.catch(() => cache.delete(key));
    cache.set(key, { at, value });
    return value;
  }

  async function zeroResultTermsOf(month: string): Promise<TermCount[]> {
    const found = await client.hGetAll(keys.zeroResults(month));
    const entries = Object.entries(found);
    const visitors = await Promise.all(
      entries.map(([term]) => client.pfCount(keys.termVisitors(month, term))),
    );
    return entries
      .map(([term, searches], i) => ({ term, searches: Number(searches), visitors: visitors[i] ?? 0 }))
      .sort((a, b) => b.searches - a.searches || a.term.localeCompare(b.term));
  }

  let generation = 0;
  return {
    /** Changes whenever this instance has just written its counts (what was read before is stale). */
    generation: () => generation,
    invalidate() {
      generation += 1;
    },

    async counts(range: DayRange): Promise<Map<string, number>> {
      const at = now().toISOString();
      const live = new Set([keys.day(at.slice(0, 10)), keys.month(at.slice(0, 7))]);
      const all = rangeKeys(redis.prefix, range);
      const past = all.filter((key) => !live.has(key));
      const [old, fresh] = await Promise.all([
        past.length > 0
          ? remembered(sealedSums, past.join(' '), () => sumOf(past))
          : new Map<string, number>(),
        sumOf(all.filter((key) => live.has(key))),
      ]);
      const total = new Map(old);
      addInto(total, fresh);
      return total;
    },

    /** One day's counters per hour ("HH|field" → count); kept for the last week only. */
    async hours(day: string): Promise<Map<string, number>> {
      const hash = await client.hGetAll(keys.hours(day));
      return new Map(Object.entries(hash).map(([field, value]) => [field, Number(value)]));
    },

    /** A month's terms that found nothing: searches and distinct visitors (estimated, HyperLogLog). */
    async zeroResultTerms(month: string): Promise<TermCount[]> {
      if (month === now().toISOString().slice(0, 7)) return zeroResultTermsOf(month);
      return remembered(sealedTerms, month, () => zeroResultTermsOf(month));
    },
  };
}

export type StatsReader = ReturnType<typeof createStatsReader>;
