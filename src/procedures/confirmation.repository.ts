import type { RedisConnection } from '../platform/redis.ts';
import { isCitizenRef, type CitizenRef } from '../platform/citizen-ref.ts';

const PENDING = 'pending';
/** Long enough for a confirmation to finish; a claim cut short by a crash frees itself after this (the retry
 * then finds the case already filed: its id is fixed by the submission token, see caseIdForSubmission). */
const PENDING_SECONDS = 120;
/** How long a repeated confirmation still finds the case it filed (a late double click, a reload). */
const SETTLED_SECONDS = 24 * 60 * 60;

/** Deletes a key only if it still holds the value that was read. */
const DELETE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A confirmation's key without the prefix: proc:confirm:<citizen>:<submission token>. */
const CONFIRMATION_KEY = /^proc:confirm:([^:]+):([^:]+)$/;

/**
 * Makes confirming a draft idempotent: the first request claims the draft's submission token, files
 * the case and records its id; any repeat of the token (a double click, a second tab, a replayed POST)
 * finds that case instead of filing another. Key:
 *   proc:confirm:<ref>:<submission token>   "pending", then the case id
 * where <ref> is the citizen's reference (citizen-ref.ts). Keys named after the fiscal code, from before
 * references, are moved by migrateLegacy at start; one missed meanwhile costs nothing, as the case id is
 * fixed by the token anyway (caseIdForSubmission).
 */
export function createConfirmationRepository(redis: RedisConnection, citizenRef: CitizenRef) {
  const { client } = redis;
  const named = (owner: string, token: string) => `${redis.prefix}proc:confirm:${owner}:${token}`;
  const key = (fiscalCode: string, token: string) => named(citizenRef(fiscalCode), token);

  return {
    /** True when this request is the first to confirm under `token`. */
    async claim(owner: string, token: string): Promise<boolean> {
      const set = await client.set(key(owner, token), PENDING, { NX: true, EX: PENDING_SECONDS });
      return set === 'OK';
    },

    async settle(owner: string, token: string, caseId: string): Promise<void> {
      await client.set(key(owner, token), caseId, { EX: SETTLED_SECONDS });
    },

    /** Gives the token back when filing failed, so the citizen can confirm again later. */
    async release(owner: string, token: string): Promise<void> {
      await client.del(key(owner, token));
    },

    /** The case filed under `token`, waiting a little while another request is still filing it. */
    async caseFiledUnder(owner: string, token: string, waitMs = 5000): Promise<string | undefined> {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const value = await client.get(key(owner, token));
        if (value !== PENDING) return value ?? undefined;
        if (Date.now() >= deadline) return undefined;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },

    /**
     * Migrates one key (without the prefix) if it is named after a fiscal code: copied with its expiry
     * unless the new one exists, then deleted if unchanged. Idempotent.
     */
    async migrateLegacy(name: string): Promise<boolean> {
      const [, owner, token] = CONFIRMATION_KEY.exec(name) ?? [];
      if (!owner || !token || isCitizenRef(owner)) return false;
      const legacy = named(owner, token);
      const [value, ttl] = await Promise.all([client.get(legacy), client.pTTL(legacy)]);
      if (value === null) return false;
      await client.set(key(owner, token), value, ttl > 0 ? { NX: true, PX: ttl } : { NX: true });
      await redis.sendCommand(['EVAL', DELETE_IF, '1', legacy, value], legacy);
      return true;
    },
  };
}

export type ConfirmationRepository = ReturnType<typeof createConfirmationRepository>;
