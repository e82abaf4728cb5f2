import type { RedisConnection } from '../platform/redis.ts';
import type { CitizenRef } from '../citizen/reference.ts';
import type { DataCipher } from '../citizen/data-cipher.ts';
import type { Draft } from './journey.ts';

/**
 * Forms left half-way, encrypted like cases (they hold the same personal data). Key:
 *   proc:draft:<ref>:<procedure id>   AES-256-GCM JSON, expiring `ttlSeconds` after the last save
 * where <ref> is the citizen's reference (citizen-ref.ts), also bound into the ciphertext.
 */
export function createDraftRepository(
  redis: RedisConnection,
  cipher: DataCipher,
  citizenRef: CitizenRef,
  ttlSeconds: number,
) {
  const { client } = redis;
  const key = (ref: string, procedureId: string) => `${redis.prefix}proc:draft:${ref}:${procedureId}`;
  const context = (ref: string, procedureId: string) => `draft:${ref}:${procedureId}`;

  return {
    async get(fiscalCode: string, procedureId: string): Promise<Draft | undefined> {
      const ref = citizenRef(fiscalCode);
      const sealed = await client.get(key(ref, procedureId));
      return sealed ? (JSON.parse(cipher.decrypt(sealed, context(ref, procedureId))) as Draft) : undefined;
    },

    async save(fiscalCode: string, procedureId: string, draft: Draft): Promise<void> {
      const ref = citizenRef(fiscalCode);
      const sealed = cipher.encrypt(JSON.stringify(draft), context(ref, procedureId));
      await client.set(key(ref, procedureId), sealed, { EX: ttlSeconds });
    },

    async remove(fiscalCode: string, procedureId: string): Promise<void> {
      await client.del(key(citizenRef(fiscalCode), procedureId));
    },
  };
}

export type DraftRepository = ReturnType<typeof createDraftRepository>;
