import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../../platform/redis.ts';
import { SUBJECT_KINDS, USE_CHANNELS, type Subject, type UseChannel } from './model.ts';

/** A use id: 16 random bytes, base64url (nothing in it says who, what or when). */
export const USE_ID = /^[A-Za-z0-9_-]{22}$/;

/** How long a closed use is still kept, so that rating it says "closed" rather than "not found". */
const KEPT_AFTER_CLOSING_SECONDS = 30 * 24 * 3600;

const storedUse = z.object({
  kind: z.enum(SUBJECT_KINDS),
  subject: z.string(),
  body: z.string().optional(),
  channel: z.enum(USE_CHANNELS),
  at: z.coerce.number(),
  closesAt: z.coerce.number(),
  ratingId: z.string().optional(),
});

export interface Use {
  id: string;
  subject: Subject;
  channel: UseChannel;
  at: number;
  closesAt: number;
  /** The rating given for this use, while the use is kept (the citizen's side only). */
  ratingId?: string | undefined;
}

/**
 * The uses a citizen may rate, on the citizen's side only and filed under their reference (never the
 * fiscal code; the braces keep one citizen's keys in one Cluster slot):
 *   citizen:{<ref>}:rating-uses          sorted set: use id → when it happened (ms)
 *   citizen:{<ref>}:rating-use:<useId>   hash: subject, channel, at, closesAt, ratingId once rated
 *   citizen:{<ref>}:rating-once:<what>   the use id already recorded for one occasion (a service on a
 *                                        day, a case filed, a case finished): one use per occasion
 * Everything expires: a use is open `openDays` after it happened, then kept 30 days as closed. The link
 * from a use to its rating lives only here, so the stored rating never leads back to the citizen.
 */
export function createUses(redis: RedisConnection, options: { openDays: number; now?: () => number }) {
  const { client } = redis;
  const now = options.now ?? Date.now;
  const openMs = options.openDays * 24 * 3600 * 1000;
  const ttlSeconds = options.openDays * 24 * 3600 + KEPT_AFTER_CLOSING_SECONDS;
  const base = (ref: string) => `${redis.prefix}citizen:{${ref}}:`;
  const listKey = (ref: string) => `${base(ref)}rating-uses`;
  const useKey = (ref: string, id: string) => `${base(ref)}rating-use:${id}`;
  const onceKey = (ref: string, occasion: string) => `${base(ref)}rating-once:${occasion}`;
  const lockKey = (ref: string, id: string) => `${base(ref)}rating-lock:${id}`;

  function parse(id: string, raw: Record<string, string>): Use | undefined {
    const parsed = storedUse.safeParse(raw);
    if (!parsed.success) return undefined;
    const { kind, subject, body, channel, at, closesAt, ratingId } = parsed.data;
    return { id, subject: { kind, id: subject, body }, channel, at, closesAt, ratingId };
  }

  return {
    /**
     * Records a use of `subject` for the occasion (idempotent: the same occasion gives back the same
     * use); returns its id.
     */
    async record(ref: string, subject: Subject, channel: UseChannel, occasion: string): Promise<string> {
      const id = randomBytes(16).toString('base64url');
      const claimed = await client.set(onceKey(ref, occasion), id, { NX: true, EX: ttlSeconds });
      if (claimed === null) {
        const existing = await client.get(onceKey(ref, occasion));
        if (existing) return existing;
      }
      const at = now();
      await client
        .multi()
        .hSet(useKey(ref, id), {
          kind: subject.kind,
          subject: subject.id,
          ...(subject.body ? { body: subject.body } : {}),
          channel,
          at: String(at),
          closesAt: String(at + openMs),
        })
        .expire(useKey(ref, id), ttlSeconds)
        .zAdd(listKey(ref), { score: at, value: id })
        .zRemRangeByScore(listKey(ref), '-inf', at - ttlSeconds * 1000)
        .expire(listKey(ref), ttlSeconds)
        .exec();
      return id;
    },

    /** One of the citizen's uses; undefined for an unknown id or another citizen's. */
    async get(ref: string, id: string): Promise<Use | undefined> {
      if (!USE_ID.test(id)) return undefined;
      return parse(id, await client.hGetAll(useKey(ref, id)));
    },

    /** The citizen's uses still open for rating, newest first. */
    async open(ref: string, limit = 50): Promise<Use[]> {
      const ids = await client.zRange(listKey(ref), '+inf', now() - openMs, {
        BY: 'SCORE',
        REV: true,
        LIMIT: { offset: 0, count: limit },
      });
      const found = await Promise.all(ids.map((id) => this.get(ref, id)));
      return found.filter((use): use is Use => use !== undefined && use.closesAt > now());
    },

    async setRating(ref: string, id: string, ratingId: string): Promise<void> {
      await client.hSet(useKey(ref, id), 'ratingId', ratingId);
    },

    /**
     * Holds the use while its rating is written (a double click posts twice): true when this request
     * may write, false while another one is.
     */
    async lock(ref: string, id: string): Promise<boolean> {
      return (await client.set(lockKey(ref, id), '1', { NX: true, PX: 10_000 })) === 'OK';
    },
    async unlock(ref: string, id: string): Promise<void> {
      await client.del(lockKey(ref, id));
    },
    now,
  };
}

export type Uses = ReturnType<typeof createUses>;
