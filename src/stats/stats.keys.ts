import { createHash } from 'node:crypto';

/**
 * The statistics' keys, under the gateway's prefix. Each day's keys share the hash tag `{d:<day>}` and
 * each month's `{m:<month>}`, so a day's (or a month's) writes and reads go to one Cluster slot while
 * different days spread over the cluster:
 *   stats:{d:YYYY-MM-DD}:c            hash, counter field → count that day (UTC)
 *   stats:{d:YYYY-MM-DD}:h            hash, "HH|" + counter field → count that hour (the last week); for
 *                                     uses of services, pages and steps the field is the kind alone
 *   stats:{m:YYYY-MM}:c               hash, counter field → count that month (the rollup)
 *   stats:{m:YYYY-MM}:zr              hash, normalised search term that found nothing → searches
 *   stats:{m:YYYY-MM}:zr:<term hash>  HyperLogLog of the (keyed, daily-rotated) visitors who searched it
 * Counter fields are built in events.ts.
 */
export function statsKeys(prefix: string) {
  const base = `${prefix}stats:`;
  return {
    day: (day: string) => `${base}{d:${day}}:c`,
    hours: (day: string) => `${base}{d:${day}}:h`,
    month: (month: string) => `${base}{m:${month}}:c`,
    zeroResults: (month: string) => `${base}{m:${month}}:zr`,
    termVisitors: (month: string, term: string) =>
      `${base}{m:${month}}:zr:${createHash('sha256').update(term).digest('hex').slice(0, 16)}`,
  };
}

export type StatsKeys = ReturnType<typeof statsKeys>;

/** YYYY-MM-DD of a date (UTC). */
export const dayOf = (at: Date) => at.toISOString().slice(0, 10);
/** YYYY-MM of a date (UTC). */
export const monthOf = (at: Date) => at.toISOString().slice(0, 7);
