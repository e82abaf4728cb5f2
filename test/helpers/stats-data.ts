import type { RedisConnection } from '../../src/platform/redis.ts';
import { statsKeys } from '../../src/stats/stats.keys.ts';

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The size of a generated network and how busy it is. */
export interface GeneratedNetwork {
  bodies: number;
  servicesPerBody: number;
  /** Share of the services used on a given day (the rest: not at all that day). */
  activeShare: number;
  procedures: number;
  /** Zero-result terms per month, each with its HyperLogLog. */
  termsPerMonth: number;
}

/** A small deterministic generator, so runs compare. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Writes a year of statistics as the recorder would leave them: the last `dailyDays` days (and 8 days of
 * hours), 12 monthly rollups with their zero-result terms. Returns the sum written for the first service
 * over the months (to check what a page reads).
 */
export async function generateYear(
  redis: RedisConnection,
  network: GeneratedNetwork,
  options: { dailyDays: number; now?: Date; serviceId?: (body: number, service: number) => string } = {
    dailyDays: 92,
  },
): Promise<{ firstServiceMonthly: Map<string, number> }> {
  const keys = statsKeys(redis.prefix);
  const now = options.now ?? new Date();
  const next = random(42);
  const serviceId = options.serviceId ?? ((b: number, s: number) => `gen-service-${b}-${s}`);
  const dayFields = () => {
    const fields: Record<string, number> = {};
    for (let b = 0; b < network.bodies; b++)
      for (let s = 0; s < network.servicesPerBody; s++) {
        if (next() > network.activeShare) continue;
        const prefix = `gen_body_${b}|${serviceId(b, s)}`;
        fields[`sheet|${prefix}`] = 1 + Math.floor(next() * 40);
        if (next() < 0.5) fields[`deeplink|${prefix}`] = 1 + Math.floor(next() * 15);
        if (next() < 0.2) fields[`sso|${prefix}`] = 1 + Math.floor(next() * 10);
      }
    for (const provider of ['spid', 'cie'])
      for (const level of [1, 2, 3]) {
        fields[`login|${provider}|${level}|success`] = Math.floor(next() * 500);
        fields[`login|${provider}|${level}|failure`] = Math.floor(next() * 20);
      }
    fields['search|found'] = 2000 + Math.floor(next() * 1000);
    fields['search|none'] = 100 + Math.floor(next() * 100);
    for (let p = 0; p < network.procedures; p++) {
      fields[`procedure|proc-${p}|started`] = Math.floor(next() * 30);
      fields[`procedure|proc-${p}|confirmed`] = Math.floor(next() * 25);
      for (let bucket = 0; bucket < 8; bucket++)
        fields[`procedure-end|proc-${p}|completed|${bucket}`] = Math.floor(next() * 5);
      for (const page of ['parents', 'child', 'choices'])
        fields[`procedure-page|proc-${p}|${page}`] = Math.floor(next() * 30);
      for (const status of ['delivered', 'completed', 'rejected'])
        fields[`step|proc-${p}|gen_body_0|step-a|${status}`] = Math.floor(next() * 25);
    }
    return Object.fromEntries(Object.entries(fields).filter(([, n]) => n > 0));
  };
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < options.dailyDays; i++) {
    const day = isoDay(now.getTime() - i * DAY_MS);
    writes.push(redis.client.hSet(keys.day(day), dayFields()));
    if (i < 8) {
      const hours: Record<string, number> = {};
      for (let h = 0; h < 24; h++)
        for (const field of [
          'sheet',
          'deeplink',
          'sso',
          'login|spid|2|success',
          'search|found',
          'search|none',
        ])
          hours[`${String(h).padStart(2, '0')}|${field}`] = 1 + Math.floor(next() * 100);
      writes.push(redis.client.hSet(keys.hours(day), hours));
    }
    if (writes.length > 20) await Promise.all(writes.splice(0));
  }
  const firstServiceMonthly = new Map<string, number>();
  for (let m = 0; m < 12; m++) {
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - m, 1))
      .toISOString()
      .slice(0, 7);
    // A month's rollup: the sums of its days (here one generated day scaled by 30).
    const fields = Object.fromEntries(Object.entries(dayFields()).map(([f, n]) => [f, n * 30]));
    firstServiceMonthly.set(month, fields[`sheet|gen_body_0|${serviceId(0, 0)}`] ?? 0);
    writes.push(redis.client.hSet(keys.month(month), fields));
    const terms: Record<string, number> = {};
    for (let t = 0; t < network.termsPerMonth; t++) {
      const term = `termine cercato ${t}`;
      terms[term] = 1 + Math.floor(next() * 50);
      const visitors = Array.from({ length: 1 + Math.floor(next() * 30) }, (_, v) => `v${t}-${v}`);
      writes.push(redis.client.pfAdd(keys.termVisitors(month, term), visitors));
    }
    if (network.termsPerMonth > 0) writes.push(redis.client.hSet(keys.zeroResults(month), terms));
    await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  return { firstServiceMonthly };
}
