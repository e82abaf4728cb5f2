import { createHash } from 'node:crypto';
import type { CitizenKeys } from './redis-keys.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { sessionKeyPrefix } from '../platform/sessions.ts';

/** What the personal area shows of one of the citizen's sessions. */
export interface SessionEntry {
  /** An opaque handle for the session (never the session id itself, which is a bearer secret). */
  handle: string;
  userAgent: string;
  provider: string;
  createdAt: number;
  lastSeenAt: number;
}

interface StoredEntry {
  userAgent: string;
  provider: string;
  createdAt: number;
}

export const sessionHandle = (sessionId: string) =>
  createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);

/**
 * The per-citizen index of sessions, in Redis so every instance sees and ends the same sessions.
 * Keys (hash-tagged on the citizen's reference, platform/citizen-keys.ts, never the fiscal code, so a
 * Cluster keeps them on one node):
 *   citizen:{<ref>}:sessions       sorted set, session id → last seen (ms)
 *   citizen:{<ref>}:sessions:meta  hash, session id → user agent, provider, created
 * The session itself is `sess:<id>`; an entry whose session has expired is pruned when listed.
 */
export function createSessionIndex(
  redis: RedisConnection,
  keys: CitizenKeys,
  options: { retentionSeconds: number },
) {
  const { client } = redis;
  const base = (fiscalCode: string) => keys.key(fiscalCode, 'sessions');
  const meta = (fiscalCode: string) => keys.key(fiscalCode, 'sessions:meta');
  const sessionKey = (sessionId: string) => `${sessionKeyPrefix(redis)}${sessionId}`;

  async function remove(fiscalCode: string, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await client.multi().zRem(base(fiscalCode), sessionIds).hDel(meta(fiscalCode), sessionIds).exec();
  }

  return {
    async add(fiscalCode: string, sessionId: string, entry: StoredEntry): Promise<void> {
      await client
        .multi()
        .zAdd(base(fiscalCode), { score: entry.createdAt, value: sessionId })
        .hSet(meta(fiscalCode), sessionId, JSON.stringify(entry))
        .expire(base(fiscalCode), options.retentionSeconds)
        .expire(meta(fiscalCode), options.retentionSeconds)
        .exec();
    },

    async touch(fiscalCode: string, sessionId: string, at: number): Promise<void> {
      // XX: only refresh an entry that is still indexed (it may have been ended from another instance).
      await client.zAdd(base(fiscalCode), { score: at, value: sessionId }, { condition: 'XX' });
    },

    /**
     * The citizen's live sessions, most recently seen first; expired ones are pruned on the way.
     * `current`: the session of the request asking, which it has just read, so is not looked up again.
     */
    async list(fiscalCode: string, current?: string): Promise<Array<SessionEntry & { sessionId: string }>> {
      // The index and its details in one round trip (add and remove keep the two keys' members the same);
      // only the other sessions need a second, to see whether they are still alive.
      const [ranked, metas] = await Promise.all([
        client.zRangeWithScores(base(fiscalCode), 0, -1, { REV: true }),
        client.hGetAll(meta(fiscalCode)),
      ]);
      if (ranked.length === 0) return [];
      const ids = ranked.map((r) => r.value);
      const alive = await Promise.all(ids.map((id) => (id === current ? 1 : client.exists(sessionKey(id)))));
      const dead = ids.filter((_, i) => alive[i] === 0);
      await remove(fiscalCode, dead);
      return ranked.flatMap((r, i) => {
        const stored = Object.hasOwn(metas, r.value) ? metas[r.value] : undefined;
        if (alive[i] === 0 || !stored) return [];
        const entry = JSON.parse(stored) as StoredEntry;
        return [{ ...entry, sessionId: r.value, handle: sessionHandle(r.value), lastSeenAt: r.score }];
      });
    },

    /** Ends sessions on every instance by deleting them from Redis, and forgets them. */
    async end(fiscalCode: string, sessionIds: string[]): Promise<void> {
      if (sessionIds.length === 0) return;
      await Promise.all(sessionIds.map((id) => client.del(sessionKey(id))));
      await remove(fiscalCode, sessionIds);
    },

    remove,
  };
}

export type SessionIndex = ReturnType<typeof createSessionIndex>;
