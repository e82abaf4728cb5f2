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

/** Reads the counters of a range, summed; and the terms searched that found nothing. */
export function createStatsReader(redis: RedisConnection) {
  const keys = statsKeys(redis.prefix);
  const { client } = redis;
  return {
    async counts(range: DayRange): Promise<Map<string, number>> {
      const hashes = await Promise.all(rangeKeys(redis.prefix, range).map((key) => client.hGetAll(key)));
      const total = new Map<string, number>();
      for (const hash of hashes)
        for (const [field, value] of Object.entries(hash))
          total.set(field, (total.get(field) ?? 0) + Number(value));
      return total;
    },

    /** One day's counters per hour ("HH|field" → count); kept for the last week only. */
    async hours(day: string): Promise<Map<string, number>> {
      const hash = await client.hGetAll(keys.hours(day));
      return new Map(Object.entries(hash).map(([field, value]) => [field, Number(value)]));
    },

    /** A month's terms that found nothing: searches and distinct visitors (estimated, HyperLogLog). */
    async zeroResultTerms(month: string): Promise<{ term: string; searches: number; visitors: number }[]> {
      const terms = await client.hGetAll(keys.zeroResults(month));
      const entries = Object.entries(terms);
      const visitors = await Promise.all(
        entries.map(([term]) => client.pfCount(keys.termVisitors(month, term))),
      );
      return entries
        .map(([term, searches], i) => ({ term, searches: Number(searches), visitors: visitors[i] ?? 0 }))
        .sort((a, b) => b.searches - a.searches || a.term.localeCompare(b.term));
    },
  };
}

export type StatsReader = ReturnType<typeof createStatsReader>;
