import type { CitizenIdentity } from '../identity/citizen.ts';
import type { RedisConnection } from '../platform/redis.ts';

/** The attributes the provider may release about a citizen (the level and login time travel in the OP session). */
export type Account = Pick<CitizenIdentity, 'fiscalCode' | 'name' | 'familyName' | 'dateOfBirth' | 'email'>;

/**
 * The citizen as the provider knows them between the login in the browser and the token and userinfo
 * requests, which come from the body's system without the gateway session: `citizen:{<cf>}:sso-account`,
 * refreshed at each login interaction and expiring with the longest session.
 */
export function createAccounts(redis: RedisConnection, options: { ttlSeconds: number }) {
  const key = (fiscalCode: string) => `${redis.prefix}citizen:{${fiscalCode}}:sso-account`;
  return {
    async save(citizen: CitizenIdentity): Promise<void> {
      const { fiscalCode, name, familyName, dateOfBirth, email } = citizen;
      const account: Account = { fiscalCode, name, familyName, dateOfBirth, email };
      await redis.client.set(key(fiscalCode), JSON.stringify(account), {
        expiration: { type: 'EX', value: options.ttlSeconds },
      });
    },
    async find(fiscalCode: string): Promise<Account | undefined> {
      const raw = await redis.client.get(key(fiscalCode));
      return raw ? (JSON.parse(raw) as Account) : undefined;
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
