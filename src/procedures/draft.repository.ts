import type { RedisConnection } from '../platform/redis.ts';
import { isCitizenRef, type CitizenRef } from '../platform/citizen-ref.ts';
import type { DataCipher } from './data-cipher.ts';
import type { Draft } from './journey.ts';

/** Deletes a key only if it still holds the value that was read. */
const DELETE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A draft's key without the prefix: proc:draft:<citizen>:<procedure id>. */
const DRAFT_KEY = /^proc:draft:([^:]+):([^:]+)$/;

/**
 * Forms left half-way, encrypted like cases (they hold the same personal data). Key:
 *   proc:draft:<ref>:<procedure id>   AES-256-GCM JSON, expiring `ttlSeconds` after the last save
 * where <ref> is the citizen's reference (citizen-ref.ts), also bound into the ciphertext. Drafts saved
 * before references existed (under the fiscal code) are moved over by migrateLegacy, at start, or when
 * their citizen reads them.
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

  /**
   * Moves a draft saved under the fiscal code to the reference, re-encrypted for its new name. Never
   * overwrites a draft saved under the reference meanwhile; the old key goes only once the new one is
   * written, and only if unchanged. 'unreadable' when no configured key decrypts it (left to expire).
   */
  async function adoptLegacy(fiscalCode: string, procedureId: string): Promise<boolean | 'unreadable'> {
    const legacy = key(fiscalCode, procedureId);
    const [sealed, ttl] = await Promise.all([client.get(legacy), client.pTTL(legacy)]);
    if (!sealed) return false;
    const ref = citizenRef(fiscalCode);
    let resealed: string;
    try {
      resealed = cipher.encrypt(
        cipher.decrypt(sealed, context(fiscalCode, procedureId)),
        context(ref, procedureId),
      );
    } catch {
      return 'unreadable';
    }
    await client.set(key(ref, procedureId), resealed, ttl > 0 ? { NX: true, PX: ttl } : { NX: true });
    await redis.sendCommand(['EVAL', DELETE_IF, '1', legacy, sealed], legacy);
    return true;
  }

  /** The citizen's sealed draft as stored under their reference, or null. */
  const stored = (fiscalCode: string, procedureId: string) =>
    client.get(key(citizenRef(fiscalCode), procedureId));

  function open(fiscalCode: string, procedureId: string, sealed: string | null): Draft | undefined {
    const ref = citizenRef(fiscalCode);
    return sealed ? (JSON.parse(cipher.decrypt(sealed, context(ref, procedureId))) as Draft) : undefined;
  }

  return {
    async get(fiscalCode: string, procedureId: string): Promise<Draft | undefined> {
      // The draft and whether a legacy one waits, at once: a legacy draft is nearly never there.
      const [sealed, legacy] = await Promise.all([
        stored(fiscalCode, procedureId),
        client.exists(key(fiscalCode, procedureId)),
      ]);
      const draft = open(fiscalCode, procedureId, sealed);
      if (draft || legacy === 0 || (await adoptLegacy(fiscalCode, procedureId)) !== true) return draft;
      return open(fiscalCode, procedureId, await stored(fiscalCode, procedureId));
    },

    async save(fiscalCode: string, procedureId: string, draft: Draft): Promise<void> {
      const ref = citizenRef(fiscalCode);
      const sealed = cipher.encrypt(JSON.stringify(draft), context(ref, procedureId));
      await client.set(key(ref, procedureId), sealed, { EX: ttlSeconds });
    },

    async remove(fiscalCode: string, procedureId: string): Promise<void> {
      // The legacy key too, or the next read would bring a removed draft back (two commands: two slots).
      await client.del(key(citizenRef(fiscalCode), procedureId));
      await client.del(key(fiscalCode, procedureId));
    },

    /** Migrates one key (without the prefix) if it is a draft saved under a fiscal code. Idempotent. */
    async migrateLegacy(name: string): Promise<boolean | 'unreadable'> {
      const [, owner, procedureId] = DRAFT_KEY.exec(name) ?? [];
      if (!owner || !procedureId || isCitizenRef(owner)) return false;
      return adoptLegacy(owner, procedureId);
    },
  };
}

export type DraftRepository = ReturnType<typeof createDraftRepository>;
