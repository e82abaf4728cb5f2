import type { RedisConnection } from '../platform/redis.ts';
import { counterField, hourlyField, type StatsEvent } from '../stats/events.ts';
import type { StatsConfig } from '../stats/stats.config.ts';
import { dayOf, monthOf, statsKeys } from '../stats/stats.keys.ts';

const DAY_MS = 86_400_000;
const DAY_SECONDS = 86_400;

/** A small deterministic generator: the demo shows the same history at every start. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A year of the demo network's use, generated and written as the statistics recorder leaves it (the
 * same keys, fields and expiries: src/stats/stats.recorder.ts), so that the demo's statistics pages have
 * something to show: the demo catalog's services viewed, followed and entered (the first ones more than
 * the rest), SPID and CIE logins, searches, the newborn bundle started, confirmed and finished, URP
 * requests. Every day before today, once (a marker key); today is the real use's. Demo mode only.
 */
export async function seedDemoStatistics(
  redis: RedisConnection,
  settings: StatsConfig,
  services: ReadonlyArray<{ id: string; body: string; integration?: string | undefined }>,
  now = new Date(),
): Promise<number> {
  const marker = `${redis.prefix}demo:statistics-seeded`;
  if ((await redis.client.set(marker, '1', { condition: 'NX' })) === null) return 0;
  const keys = statsKeys(redis.prefix);
  const next = random(2026);
  const days = new Map<string, Map<string, number>>();
  const hours = new Map<string, Map<string, number>>();
  const months = new Map<string, Map<string, number>>();
  /** The day each day's and hour's key is of. */
  const dayOfKey = new Map<string, string>();
  const add = (into: Map<string, Map<string, number>>, key: string, field: string, by: number) => {
    if (by <= 0) return;
    let fields = into.get(key);
    if (!fields) into.set(key, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + by);
  };
  const count = (at: Date, event: StatsEvent, by: number, daily: boolean, hourly: boolean) => {
    const field = counterField(event);
    add(months, keys.month(monthOf(at)), field, by);
    dayOfKey.set(keys.day(dayOf(at)), dayOf(at)).set(keys.hours(dayOf(at)), dayOf(at));
    if (daily) add(days, keys.day(dayOf(at)), field, by);
    if (hourly)
      for (let h = 8; h < 20 && by > 0; h++) {
        const share = h === 19 ? by : Math.round(by / (20 - h));
        add(
          hours,
          keys.hours(dayOf(at)),
          `${String(h).padStart(2, '0')}|${hourlyField(event, field)}`,
          share,
        );
        by -= share;
      }
  };
  const n = (mean: number) => Math.max(0, Math.round(mean * (0.6 + next() * 0.8)));

  for (let ago = 365; ago >= 1; ago--) {
    const at = new Date(now.getTime() - ago * DAY_MS);
    const weekend = [0, 6].includes(at.getUTCDay());
    const busy = weekend ? 0.35 : 1;
    const daily = ago < settings.dailyRetentionDays;
    const hourly = ago < settings.hourlyRetentionDays;
    const counted = (event: StatsEvent, mean: number) => count(at, event, n(mean * busy), daily, hourly);
    services.forEach((service, rank) => {
      const views = 40 / (rank + 2);
      counted({ kind: 'sheet', service: service.id, body: service.body }, views);
      counted({ kind: 'deeplink', service: service.id, body: service.body }, views * 0.4);
      if (service.integration === 'sso')
        counted({ kind: 'sso', service: service.id, body: service.body }, views * 0.3);
    });
    for (const [provider, level, mean] of [
      ['spid', 1, 15],
      ['spid', 2, 120],
      ['spid', 3, 4],
      ['cie', 2, 45],
      ['cie', 3, 12],
    ] as const) {
      counted({ kind: 'login', provider, level, outcome: 'success' }, mean);
      counted({ kind: 'login', provider, level, outcome: 'failure' }, mean / 20);
    }
    counted({ kind: 'search', zeroResults: false }, 260);
    counted({ kind: 'search', zeroResults: true, visitor: '-' }, 22);
    counted({ kind: 'procedure', procedure: 'newborn', stage: 'started' }, 6);
    counted({ kind: 'procedure', procedure: 'newborn', stage: 'confirmed' }, 4.5);
    for (const [seconds, mean] of [
      [5 * 3600, 0.6],
      [20 * 3600, 1.6],
      [40 * 3600, 1.4],
      [5 * DAY_SECONDS, 0.6],
    ] as const)
      counted({ kind: 'procedure-end', procedure: 'newborn', outcome: 'completed', seconds }, mean);
    for (const body of ['c_g999', 'demo_usl_tc', 'inps']) {
      counted({ kind: 'urp', body, stage: 'received' }, 3);
      counted({ kind: 'urp', body, stage: 'answered', seconds: (2 + next() * 10) * DAY_SECONDS }, 2.6);
    }
  }

  // Added to what is there (this month's and the hours' keys may hold real use already), and kept as
  // long as the recorder would have kept them from the day they are of.
  const write = (into: Map<string, Map<string, number>>, seconds: (key: string) => number) =>
    [...into].map(async ([key, fields]) => {
      await Promise.all([...fields].map(([field, by]) => redis.client.hIncrBy(key, field, by)));
      await redis.client.expire(key, Math.max(60, seconds(key)));
    });
  const left = (key: string, keep: number) =>
    Math.round(keep * DAY_SECONDS - (now.getTime() - Date.parse(dayOfKey.get(key) ?? '')) / 1000);
  await Promise.all([
    ...write(days, (key) => left(key, settings.dailyRetentionDays)),
    ...write(hours, (key) => left(key, settings.hourlyRetentionDays)),
    ...write(months, () => (settings.monthlyRetentionMonths + 1) * 31 * DAY_SECONDS),
  ]);
  return days.size;
}
