import type { Logger } from './logger.ts';
import type { RedisConnection } from './redis.ts';

/** The key that says a migration has settled: `migration:<name>`, under the gateway's prefix. */
export const settledMarker = (redis: RedisConnection, name: string) => `${redis.prefix}migration:${name}`;

/**
 * Runs a migration that SCANs the keyspace at start, until it has nothing left to do. It says what it
 * did as counts by kind (never the keys, which may name citizens). SCAN visits every key whatever its
 * pattern matches, so a pass costs in proportion to the whole Redis (the citizen-key moves' five passes
 * took 5.9 s at 2 million keys), paid by every instance at every start, before it serves, long after the
 * last old key has moved. Here a pass that moves nothing (counts all zero) writes `migration:<name>`,
 * and a start that finds it skips the pass: the first start of a new installation settles at once, an
 * upgraded one at the first start after a pass found nothing left. A pass that moved something, or
 * failed, leaves no marker, so while instances of the earlier version still write (a rolling upgrade)
 * every start moves what they wrote; what they write after the marker is moved when it is read (the
 * migrations' own read paths), like anything written after a pass. Deleting the marker runs the pass at
 * the next start. What a pass moved is logged (info), as counts.
 */
export async function migrateUntilSettled<T extends { readonly [K in keyof T]: number }>(
  redis: RedisConnection,
  name: string,
  migrate: () => Promise<T>,
  logger?: Logger,
): Promise<{ settled: true; at: string } | { settled: false; counts: T }> {
  const marker = settledMarker(redis, name);
  const at = await redis.client.get(marker);
  if (at !== null) return { settled: true, at };
  const counts = await migrate();
  if (Object.values<number>(counts).every((n) => n === 0))
    await redis.client.set(marker, new Date().toISOString());
  else logger?.info({ migration: name, moved: counts }, 'keys of the earlier layout moved');
  return { settled: false, counts };
}
