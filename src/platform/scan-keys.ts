import type { RedisConnection, SingleClient } from './redis.ts';

/** The glob characters of SCAN's MATCH, escaped so a prefix matches only itself. */
export const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Every key under the prefix whose rest matches `pattern` (a SCAN glob), page by page, with the prefix
 * removed; on a Cluster, every master in turn. Keys written meanwhile may or may not be seen (SCAN).
 */
export async function* scanKeys(redis: RedisConnection, pattern: string): AsyncGenerator<string[]> {
  const match = `${escapeGlob(redis.prefix)}${pattern}`;
  const clients: SingleClient[] = [];
  if ('masters' in redis.client) {
    for (const master of redis.client.masters)
      clients.push((await redis.client.nodeClient(master)) as unknown as SingleClient);
  } else {
    clients.push(redis.client as SingleClient); // a single server, or Sentinel's master (same interface)
  }
  for (const client of clients) {
    for await (const keys of client.scanIterator({ MATCH: match, COUNT: 500 }))
      yield keys.map((key) => key.slice(redis.prefix.length));
  }
}
