import { z } from 'zod';
import type { RedisConnection } from '../../platform/redis.ts';
import { LEVELS } from '../citizen.ts';

const outstandingSchema = z.object({
  idp: z.string(),
  level: z.union(LEVELS.map((l) => z.literal(l)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>]),
  issuedAt: z.number(),
  relayState: z.string(),
  returnTo: z.string(),
  /** The session this login replaces (a step-up): ended once the new one exists. */
  replaces: z.object({ sessionId: z.string(), fiscalCode: z.string() }).optional(),
});

/** An AuthnRequest waiting for its Response. */
export type OutstandingRequest = z.infer<typeof outstandingSchema>;

/**
 * Outstanding SPID request ids, in Redis so whichever instance receives the Response validates it:
 *   saml:req:<id>   JSON OutstandingRequest, expiring after the request TTL
 * `take` reads and deletes in one command (GETDEL), so a Response is accepted at most once anywhere.
 */
export function createRequestStore(redis: RedisConnection, ttlSeconds: number) {
  const key = (id: string) => `${redis.prefix}saml:req:${id}`;
  return {
    async save(id: string, request: OutstandingRequest): Promise<void> {
      await redis.client.set(key(id), JSON.stringify(request), {
        expiration: { type: 'EX', value: ttlSeconds },
      });
    },
    async take(id: string): Promise<OutstandingRequest | undefined> {
      const stored = await redis.client.getDel(key(id));
      if (!stored) return undefined;
      const parsed = outstandingSchema.safeParse(JSON.parse(stored));
      return parsed.success ? parsed.data : undefined;
    },
  };
}

export type RequestStore = ReturnType<typeof createRequestStore>;
