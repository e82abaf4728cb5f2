import type { CitizenKeys } from '../citizen/redis-keys.ts';
import type { RedisConnection } from '../platform/redis.ts';

const RECENT_KEPT = 10;
const RETENTION_SECONDS = 400 * 24 * 3600;

/**
 * A citizen's favourite and recently used services. Keys are hash-tagged on the citizen's reference
 * (platform/citizen-keys.ts, never the fiscal code), so a Cluster keeps them on one node:
 *   citizen:{<ref>}:favourites   set of service ids
 *   citizen:{<ref>}:recent       sorted set, service id → last use (ms), the newest 10 kept
 */
export function createCitizenServices(redis: RedisConnection, keys: CitizenKeys) {
  const { client } = redis;
  const favourites = (cf: string) => keys.key(cf, 'favourites');
  const recent = (cf: string) => keys.key(cf, 'recent');

  return {
    async favourites(fiscalCode: string): Promise<string[]> {
      return (await client.sMembers(favourites(fiscalCode))).sort();
    },

    async isFavourite(fiscalCode: string, serviceId: string): Promise<boolean> {
      return Boolean(await client.sIsMember(favourites(fiscalCode), serviceId));
    },

    /** Adds or removes a favourite; returns whether it is a favourite afterwards. */
    async toggleFavourite(fiscalCode: string, serviceId: string): Promise<boolean> {
      const key = favourites(fiscalCode);
      const removed = await client.sRem(key, serviceId);
      if (removed === 0) await client.multi().sAdd(key, serviceId).expire(key, RETENTION_SECONDS).exec();
      return removed === 0;
    },

    async recordUse(fiscalCode: string, serviceId: string, at: number): Promise<void> {
      const key = recent(fiscalCode);
      await client
        .multi()
        .zAdd(key, { score: at, value: serviceId })
        .zRemRangeByRank(key, 0, -(RECENT_KEPT + 1))
        .expire(key, RETENTION_SECONDS)
        .exec();
    },

    async recent(fiscalCode: string): Promise<string[]> {
      return client.zRange(recent(fiscalCode), 0, -1, { REV: true });
    },
  };
}

export type CitizenServices = ReturnType<typeof createCitizenServices>;
