import type { Config } from '../config/schema.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { createDataCipher } from './data-cipher.ts';
import { createCitizenRecords } from './record.ts';
import { createCitizenKeys } from './redis-keys.ts';
import { createCitizenRef } from './reference.ts';
import { loadDataKeys, loadReferenceKey } from './secrets.ts';
import { createSessionIndex } from './session-index.ts';

/**
 * What every module shares about a citizen: the keyed reference they are filed under (never the fiscal
 * code), their keys in Redis, the cipher of their personal data, their record (linked identities) and
 * the index of their sessions.
 */
export function buildCitizen(config: Readonly<Config>, redis: RedisConnection) {
  const ref = createCitizenRef(loadReferenceKey(config.citizen, config.env));
  const keys = createCitizenKeys(redis, ref);
  return {
    ref,
    keys,
    cipher: createDataCipher(loadDataKeys(config.citizen, config.env)),
    records: createCitizenRecords(redis, keys),
    sessions: createSessionIndex(redis, keys, { retentionSeconds: config.session.absoluteLifetimeSeconds }),
  };
}

export type CitizenModule = ReturnType<typeof buildCitizen>;
