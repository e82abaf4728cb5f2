import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../../platform/redis.ts';

const flowSchema = z.object({
  provider: z.string(),
  codeVerifier: z.string(),
  nonce: z.string(),
  level: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  returnTo: z.string(),
  /** A hash of the session id of the browser that started the login (binds the callback to it). */
  browser: z.string(),
  startedAt: z.number(),
});

/** A login waiting for the provider's answer. */
export type PendingFlow = z.infer<typeof flowSchema>;

/** What a flow binds to: never the session id itself (a bearer secret), only its hash. */
export const browserBinding = (sessionId: string) =>
  createHash('sha256').update(sessionId).digest('base64url');

/**
 * Logins in flight, in Redis so whichever instance receives the callback finishes it:
 *   oidc:rp:flow:<state>   JSON PendingFlow, expiring after the state TTL
 * `take` reads and deletes in one command (GETDEL): a callback is accepted at most once, anywhere.
 */
export function createFlowStore(redis: RedisConnection, ttlSeconds: number) {
  const key = (state: string) => `${redis.prefix}oidc:rp:flow:${state}`;
  return {
    async save(state: string, flow: PendingFlow): Promise<void> {
      await redis.client.set(key(state), JSON.stringify(flow), {
        expiration: { type: 'EX', value: ttlSeconds },
      });
    },
    async take(state: string): Promise<PendingFlow | undefined> {
      const stored = await redis.client.getDel(key(state));
      if (!stored) return undefined;
      const parsed = flowSchema.safeParse(JSON.parse(stored));
      return parsed.success ? parsed.data : undefined;
    },
  };
}

export type FlowStore = ReturnType<typeof createFlowStore>;
