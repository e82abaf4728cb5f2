import type { RedisConnection } from '../platform/redis.ts';
import { isLanguage, type Language } from '../platform/i18n.ts';
import type { DataCipher } from './data-cipher.ts';
import type { CitizenRef } from './reference.ts';

/** A citizen's confirmed address for news of their cases, and the language they want it in. */
export interface CitizenEmail {
  address: string;
  lang: Language;
  confirmedAt: string;
}

/**
 * The address a citizen chose (opt-in, confirmed by a link) to be told when their cases move, filed
 * under their reference and encrypted with the citizens' data cipher (the reference is the authenticated
 * context, so an address copied under another citizen does not decrypt). Key:
 *   citizen:{<ref>}:email   hash: address (encrypted), lang, confirmedAt
 * Read by reference, as a case knows its owner only by that.
 */
export function createCitizenEmails(redis: RedisConnection, ref: CitizenRef, cipher: DataCipher) {
  const { client } = redis;
  const key = (reference: string) => `${redis.prefix}citizen:{${reference}}:email`;
  const context = (reference: string) => `citizen-email:${reference}`;

  async function byRef(reference: string): Promise<CitizenEmail | undefined> {
    const stored = await client.hGetAll(key(reference));
    if (!stored.address || !stored.confirmedAt || !isLanguage(stored.lang)) return undefined;
    try {
      return {
        address: cipher.decrypt(stored.address, context(reference)),
        lang: stored.lang,
        confirmedAt: stored.confirmedAt,
      };
    } catch {
      return undefined; // a key no longer configured: as if none
    }
  }

  return {
    /** The reference an address is filed under (what a confirmation link carries, never the fiscal code). */
    refOf: ref,
    byRef,
    of: (fiscalCode: string) => byRef(ref(fiscalCode)),
    async save(reference: string, address: string, lang: Language): Promise<void> {
      await client.hSet(key(reference), {
        address: cipher.encrypt(address, context(reference)),
        lang,
        confirmedAt: new Date().toISOString(),
      });
    },
    async remove(fiscalCode: string): Promise<void> {
      await client.del(key(ref(fiscalCode)));
    },
  };
}

export type CitizenEmails = ReturnType<typeof createCitizenEmails>;
