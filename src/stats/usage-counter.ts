import type { RedisConnection } from '../platform/redis.ts';

/**
 * Counts uses of services (deep-link follows) in Redis, so every instance adds to the same numbers:
 *   stats:deeplinks:total           hash, service id → uses since the start
 *   stats:deeplinks:<YYYY-MM-DD>    hash, service id → uses that day (UTC), kept 400 days
 * No personal data: only the service id and the day.
 */
export function createUsageCounter(redis: RedisConnection, now: () => Date = () => new Date()) {
  const base = `${redis.prefix}stats:deeplinks:`;
  return {
    async countUse(serviceId: string): Promise<void> {
      const day = `${base}${now().toISOString().slice(0, 10)}`;
      await Promise.all([
        redis.client.hIncrBy(`${base}total`, serviceId, 1),
        redis.client.hIncrBy(day, serviceId, 1).then(() => redis.client.expire(day, 400 * 24 * 3600)),
      ]);
    },
    async totalUses(serviceId: string): Promise<number> {
      return Number((await redis.client.hGet(`${base}total`, serviceId)) ?? 0);
    },
  };
}

export type UsageCounter = ReturnType<typeof createUsageCounter>;
