import type { RedisConnection } from '../platform/redis.ts';
import type { CitizenRef } from '../citizen/reference.ts';

const PENDING = 'pending';
/** Long enough for a confirmation to finish; a claim cut short by a crash frees itself after this (the retry
 * then finds the case already filed: its id is fixed by the submission token, see caseIdForSubmission). */
const PENDING_SECONDS = 120;
/** How long a repeated confirmation still finds the case it filed (a late double click, a reload). */
const SETTLED_SECONDS = 24 * 60 * 60;

/**
 * Makes confirming a draft idempotent: the first request claims the draft's submission token, files
 * the case and records its id; any repeat of the token (a double click, a second tab, a replayed POST)
 * finds that case instead of filing another. Key:
 *   proc:confirm:<ref>:<submission token>   "pending", then the case id
 * where <ref> is the citizen's reference (citizen-ref.ts).
 */
export function createConfirmationRepository(redis: RedisConnection, citizenRef: CitizenRef) {
  const { client } = redis;
  const key = (fiscalCode: string, token: string) =>
    `${redis.prefix}proc:confirm:${citizenRef(fiscalCode)}:${token}`;

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
  };
}

export type ConfirmationRepository = ReturnType<typeof createConfirmationRepository>;
