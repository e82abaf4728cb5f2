import { z } from 'zod';
import type { RedisConnection } from '../../platform/redis.ts';
import { createSingleUseStore } from '../../platform/single-use-store.ts';
import { LEVELS } from '../citizen.ts';

const outstandingSchema = z.object({
  idp: z.string(),
  level: z.union(LEVELS.map((l) => z.literal(l)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>]),
  issuedAt: z.number(),
  relayState: z.string(),
  returnTo: z.string(),
  /** The hash of the browser's binding (browser-binding.ts): only that browser's POST is accepted. */
  browser: z.string(),
  /** The session this login replaces (a step-up): ended once the new one exists. */
  replaces: z.object({ sessionId: z.string(), fiscalCode: z.string() }).optional(),
});

/** An AuthnRequest waiting for its Response. */
export type OutstandingRequest = z.infer<typeof outstandingSchema>;

/**
 * Outstanding SPID request ids, in Redis so whichever instance receives the Response validates it:
 *   saml:req:<id>   JSON OutstandingRequest, expiring after the request TTL, taken at most once
 */
export const createRequestStore = (redis: RedisConnection, ttlSeconds: number) =>
  createSingleUseStore(redis, 'saml:req:', outstandingSchema, ttlSeconds);

export type RequestStore = ReturnType<typeof createRequestStore>;

const completedSchema = z.object({ browser: z.string(), responseId: z.string(), returnTo: z.string() });

/**
 * Requests a Response has already answered, so that the same browser posting the same Response again
 * (the IdP page's "Continue" pressed after the automatic post) is sent on instead of refused; it
 * logs no one in a second time:
 *   saml:done:<id>   JSON { browser, responseId, returnTo }, expiring after the request TTL
 */
export function createCompletedRequests(redis: RedisConnection, ttlSeconds: number) {
  const store = createSingleUseStore(redis, 'saml:done:', completedSchema, ttlSeconds);
  return { save: store.save, find: store.peek };
}

export type CompletedRequests = ReturnType<typeof createCompletedRequests>;
