import type { Config } from '../config/schema.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { createDataCipher } from './data-cipher.ts';
import { createCitizenEmails } from './email-address.ts';
import { createCitizenRecords } from './record.ts';
import { createCitizenKeys } from './redis-keys.ts';
import { createCitizenRef } from './reference.ts';
import { loadDataKeys, loadReferenceKey } from './secrets.ts';
import { createSessionIndex } from './session-index.ts';

/**
 * What every module shares about a citizen: the keyed reference they are filed under (never the fiscal
 * code), their keys in Redis, the cipher of their personal data, their record (linked identities) and
 * the index of their sessions, the address they chose for news of their cases.
 */
export function buildCitizen(config: Readonly<Config>, redis: RedisConnection) {
  const ref = createCitizenRef(loadReferenceKey(config.citizen, config.env));
  const keys = createCitizenKeys(redis, ref);
  const cipher = createDataCipher(loadDataKeys(config.citizen, config.env));
  return {
    ref,
    keys,
    cipher,
    /** The address each citizen chose for news of their cases (encrypted). */
    emails: createCitizenEmails(redis, ref, cipher),
    records: createCitizenRecords(redis, keys),
    sessions: createSessionIndex(redis, keys, { retentionSeconds: config.session.absoluteLifetimeSeconds }),
  };
}

export type CitizenModule = ReturnType<typeof buildCitizen>;
