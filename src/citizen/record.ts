import type { CitizenKeys } from './redis-keys.ts';
import type { RedisConnection } from '../platform/redis.ts';
import type { CitizenIdentity, Level } from '../identity/citizen.ts';

/** One way the citizen has logged in (a provider and its issuer), as the personal area lists it. */
export interface LinkedIdentity {
  provider: string;
  issuer: string;
  firstLoginAt: number;
  lastLoginAt: number;
  lastLevel: Level;
}

const RETENTION_SECONDS = 400 * 24 * 3600;
const IDENTITY = 'identity:';
const PREFERENCE = 'pref:';

/**
 * The one record of a citizen, whatever provider they use: the fiscal code joins SPID, CIE and every
 * other OpenID Connect login. Key (hash-tagged on the citizen's reference, platform/citizen-keys.ts, never
 * the fiscal code; like the session index and favourites, so a Cluster keeps a citizen's keys on one node):
 *   citizen:{<ref>}:profile   hash
 *     createdAt                          first login ever (ms)
 *     identity:<provider> <issuer>       JSON { provider, issuer }
 *     first:<provider> <issuer>          first login with it (ms; HSETNX)
 *     last:<provider> <issuer>           last login with it (ms)
 *     level:<provider> <issuer>          level of that last login
 *     pref:<name>                        the citizen's preferences
 * Never tokens or assertions. The record lives as long as favourites do, renewed at each login.
 */
export function createCitizenRecords(redis: RedisConnection, keys: CitizenKeys) {
  const { client } = redis;
  const key = (fiscalCode: string) => keys.key(fiscalCode, 'profile');

  return {
    async recordLogin(identity: CitizenIdentity): Promise<void> {
      const k = key(identity.fiscalCode);
      const id = `${identity.provider} ${identity.issuer}`;
      await client
        .multi()
        .hSetNX(k, 'createdAt', String(identity.loginAt))
        .hSet(k, `${IDENTITY}${id}`, JSON.stringify({ provider: identity.provider, issuer: identity.issuer }))
        .hSetNX(k, `first:${id}`, String(identity.loginAt))
        .hSet(k, { [`last:${id}`]: String(identity.loginAt), [`level:${id}`]: String(identity.level) })
        .expire(k, RETENTION_SECONDS)
        .exec();
    },

    /** The identities linked to the citizen, most recently used first. */
    async linkedIdentities(fiscalCode: string): Promise<LinkedIdentity[]> {
      const fields = await client.hGetAll(key(fiscalCode));
      return Object.entries(fields)
        .filter(([field]) => field.startsWith(IDENTITY))
        .map(([field, value]) => {
          const id = field.slice(IDENTITY.length);
          const { provider, issuer } = JSON.parse(value) as { provider: string; issuer: string };
          return {
            provider,
            issuer,
            firstLoginAt: Number(fields[`first:${id}`] ?? 0),
            lastLoginAt: Number(fields[`last:${id}`] ?? 0),
            lastLevel: Number(fields[`level:${id}`] ?? 1) as Level,
          };
        })
        .sort((a, b) => b.lastLoginAt - a.lastLoginAt);
    },

    async preferences(fiscalCode: string): Promise<Record<string, string>> {
      const fields = await client.hGetAll(key(fiscalCode));
      return Object.fromEntries(
        Object.entries(fields)
          .filter(([field]) => field.startsWith(PREFERENCE))
          .map(([field, value]) => [field.slice(PREFERENCE.length), value]),
      );
    },

    async setPreference(fiscalCode: string, name: string, value: string): Promise<void> {
      await client
        .multi()
        .hSet(key(fiscalCode), `${PREFERENCE}${name}`, value)
        .expire(key(fiscalCode), RETENTION_SECONDS)
        .exec();
    },
  };
}

export type CitizenRecords = ReturnType<typeof createCitizenRecords>;
