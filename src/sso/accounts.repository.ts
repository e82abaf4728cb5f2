import type { CitizenIdentity } from '../identity/citizen.ts';
import type { CitizenKeys } from '../citizen/redis-keys.ts';
import type { RedisConnection } from '../platform/redis.ts';
import type { DataCipher } from '../citizen/data-cipher.ts';

/** The attributes the provider may release about a citizen (the level and login time travel in the OP session). */
export type Account = Pick<CitizenIdentity, 'fiscalCode' | 'name' | 'familyName' | 'dateOfBirth' | 'email'>;

/** What an account's ciphertext is bound to: its key's name, without the prefix. */
export const accountContext = (name: string) => `sso-account:${name}`;

/**
 * The citizen as the provider knows them between the login in the browser and the token and userinfo
 * requests, which come from the body's system without the gateway session: `citizen:{<ref>}:sso-account`
 * (the citizen's reference, platform/citizen-keys.ts, never the fiscal code), refreshed at each login
 * interaction and expiring with the longest session. The value (fiscal code, names, date of birth,
 * email) is AES-256-GCM encrypted with the procedures' data keys, bound to its key name: one that no
 * configured key decrypts (a dropped data key) is no account, saved again at the citizen's next login.
 */
export function createAccounts(
  redis: RedisConnection,
  keys: CitizenKeys,
  cipher: DataCipher,
  options: { ttlSeconds: number },
) {
  const key = (fiscalCode: string) => keys.key(fiscalCode, 'sso-account');
  const context = (fiscalCode: string) => accountContext(key(fiscalCode).slice(redis.prefix.length));
  return {
    async save(citizen: CitizenIdentity): Promise<void> {
      const { fiscalCode, name, familyName, dateOfBirth, email } = citizen;
      const account: Account = { fiscalCode, name, familyName, dateOfBirth, email };
      const sealed = cipher.encrypt(JSON.stringify(account), context(fiscalCode));
      await redis.client.set(key(fiscalCode), sealed, {
        expiration: { type: 'EX', value: options.ttlSeconds },
      });
    },
    async find(fiscalCode: string): Promise<Account | undefined> {
      const sealed = await redis.client.get(key(fiscalCode));
      if (!sealed) return undefined;
      try {
        return JSON.parse(cipher.decrypt(sealed, context(fiscalCode))) as Account;
      } catch {
        return undefined;
      }
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
