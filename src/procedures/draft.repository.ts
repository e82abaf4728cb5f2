import type { RedisConnection } from '../platform/redis.ts';
import type { DataCipher } from './data-cipher.ts';
import type { Draft } from './journey.ts';

/**
 * Forms left half-way, encrypted like cases (they hold the same personal data). Key:
 *   proc:draft:<cf>:<procedure id>   AES-256-GCM JSON, expiring `ttlSeconds` after the last save
 */
export function createDraftRepository(redis: RedisConnection, cipher: DataCipher, ttlSeconds: number) {
  const key = (owner: string, procedureId: string) => `${redis.prefix}proc:draft:${owner}:${procedureId}`;
  const context = (owner: string, procedureId: string) => `draft:${owner}:${procedureId}`;

  return {
    async get(owner: string, procedureId: string): Promise<Draft | undefined> {
      const stored = await redis.client.get(key(owner, procedureId));
      return stored ? (JSON.parse(cipher.decrypt(stored, context(owner, procedureId))) as Draft) : undefined;
    },

    async save(owner: string, procedureId: string, draft: Draft): Promise<void> {
      const sealed = cipher.encrypt(JSON.stringify(draft), context(owner, procedureId));
      await redis.client.set(key(owner, procedureId), sealed, { EX: ttlSeconds });
    },

    async remove(owner: string, procedureId: string): Promise<void> {
      await redis.client.del(key(owner, procedureId));
    },
  };
}

export type DraftRepository = ReturnType<typeof createDraftRepository>;
