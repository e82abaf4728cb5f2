import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../../platform/redis.ts';
import { createSingleUseStore } from '../../platform/single-use-store.ts';

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
 *   oidc:rp:flow:<state>   JSON PendingFlow, expiring after the state TTL, taken at most once
 */
export const createFlowStore = (redis: RedisConnection, ttlSeconds: number) =>
  createSingleUseStore(redis, 'oidc:rp:flow:', flowSchema, ttlSeconds);

export type FlowStore = ReturnType<typeof createFlowStore>;
