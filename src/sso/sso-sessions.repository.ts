import { sessionHandle } from '../citizen/session-index.ts';
import type { RedisConnection } from '../platform/redis.ts';

/** A service entered during a gateway session: what back-channel logout needs to tell it. */
export interface EnteredService {
  clientId: string;
  accountId: string;
  /** The OP session's sid for the client (the logout token carries it). */
  sid: string;
  /** The OP session's id, to end it with the gateway session. */
  opSession: string;
}

/**
 * The services entered in each gateway session: `sso:gw-session:<handle>`, a hash client id →
 * EnteredService, keyed by the session's opaque handle (never the session id, a bearer secret), expiring
 * with the session's absolute lifetime.
 */
export function createSsoSessions(redis: RedisConnection, options: { ttlSeconds: number }) {
  const { client } = redis;
  const key = (sessionId: string) => `${redis.prefix}sso:gw-session:${sessionHandle(sessionId)}`;
  return {
    async add(sessionId: string, entry: EnteredService): Promise<void> {
      await client
        .multi()
        .hSet(key(sessionId), entry.clientId, JSON.stringify(entry))
        .expire(key(sessionId), options.ttlSeconds)
        .exec();
    },

    /** The services of a session, forgotten on the way (each logout is sent once). */
    async take(sessionId: string): Promise<EnteredService[]> {
      const all = await client.hGetAll(key(sessionId));
      await client.del(key(sessionId));
      return Object.values(all).map((raw) => JSON.parse(raw) as EnteredService);
    },
  };
}

export type SsoSessions = ReturnType<typeof createSsoSessions>;
