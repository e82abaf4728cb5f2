import type { CitizenKeys } from '../citizen/redis-keys.ts';
import type { RedisConnection } from '../platform/redis.ts';

/** One release of a citizen's data to a body's service: when, to whom, which claims (never the values). */
export interface AccessRecord {
  at: number;
  bodyId: string;
  serviceId: string;
  /** What carried the data: the id_token or the userinfo response. */
  via: 'id_token' | 'userinfo';
  claims: string[];
}

/**
 * The access history: `citizen:{<ref>}:access-history` (the citizen's reference,
 * platform/citizen-keys.ts, never the fiscal code), a list newest first, capped at `length` entries
 * (the oldest are dropped).
 */
export function createAccessHistory(redis: RedisConnection, keys: CitizenKeys, options: { length: number }) {
  const { client } = redis;
  const key = (fiscalCode: string) => keys.key(fiscalCode, 'access-history');
  return {
    async record(fiscalCode: string, entry: AccessRecord): Promise<void> {
      await client
        .multi()
        .lPush(key(fiscalCode), JSON.stringify(entry))
        .lTrim(key(fiscalCode), 0, options.length - 1)
        .exec();
    },

    async list(fiscalCode: string, count = options.length): Promise<AccessRecord[]> {
      const raws = await client.lRange(key(fiscalCode), 0, count - 1);
      return raws.map((raw) => JSON.parse(raw) as AccessRecord);
    },
  };
}

export type AccessHistory = ReturnType<typeof createAccessHistory>;
