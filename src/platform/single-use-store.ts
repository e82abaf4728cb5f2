import type { z } from 'zod';
import type { RedisConnection } from './redis.ts';

/**
 * Records that wait for one answer and are used once (a SAML request id, an OpenID Connect state, a
 * SPID login awaiting Single Logout), in Redis so whichever instance receives the answer finishes it:
 *   <prefix><keyspace><id>   JSON, validated by `schema` when read back, expiring after `ttlSeconds`
 * `take` reads and deletes in one command (GETDEL): an answer is accepted at most once, on any instance.
 * A record that no longer matches the schema (a stale format after an upgrade) reads as absent.
 */
export function createSingleUseStore<Schema extends z.ZodType>(
  redis: RedisConnection,
  keyspace: string,
  schema: Schema,
  ttlSeconds: number,
) {
  const key = (id: string) => `${redis.prefix}${keyspace}${id}`;
  const parse = (stored: string | null): z.infer<Schema> | undefined => {
    if (!stored) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(stored);
    } catch {
      return undefined;
    }
    const parsed = schema.safeParse(json);
    return parsed.success ? parsed.data : undefined;
  };
  return {
    async save(id: string, record: z.infer<Schema>): Promise<void> {
      await redis.client.set(key(id), JSON.stringify(record), {
        expiration: { type: 'EX', value: ttlSeconds },
      });
    },
    /** Reads without using up: a check made before `take` that must not spend the record when it fails. */
    async peek(id: string): Promise<z.infer<Schema> | undefined> {
      return parse(await redis.client.get(key(id)));
    },
    async take(id: string): Promise<z.infer<Schema> | undefined> {
      return parse(await redis.client.getDel(key(id)));
    },
  };
}
