/**
 * Key rotation, second half: re-encrypts every case's personal data, every draft and every SSO account
 * (sso/accounts.repository.ts, encrypted with the same keys) under the newest
 * data key, so the older keys can then be removed from PROCEDURES_DATA_KEYS. First put the new key in
 * front of the list and restart the gateway (new data is then written under it), then run
 *   npx tsx src/procedures/rekey.ts
 * with the same configuration. Each value is replaced only if it is unchanged meanwhile, and never
 * brought back once purged, so the gateway may keep running. A single Redis server or Sentinel.
 */
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../platform/logger.ts';
import {
  connectRedis,
  createRedisConnection,
  type RedisConnection,
  type SingleClient,
} from '../platform/redis.ts';
import { accountContext } from '../sso/accounts.repository.ts';
import { createDataCipher, type DataCipher } from '../citizen/data-cipher.ts';
import { loadDataKeys } from '../citizen/secrets.ts';

/** Sets a hash field / a string (keeping its expiry) only if it still holds the value that was read. */
const SWAP_FIELD = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end return 0`;
const SWAP_STRING = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end return 0`;

export async function reencryptAll(redis: RedisConnection, cipher: DataCipher): Promise<{ values: number }> {
  const client = redis.client as SingleClient;
  const prefix = redis.prefix;
  let values = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}proc:case:{*}:data`, COUNT: 200 })) {
    for (const key of keys) {
      const id = key.slice(`${prefix}proc:case:{`.length, -'}:data'.length);
      for (const [field, sealed] of Object.entries(await client.hGetAll(key))) {
        const resealed = cipher.rotate(sealed, `${id}:${field}`);
        if (!resealed) continue;
        const swapped = await redis.sendCommand(['EVAL', SWAP_FIELD, '1', key, field, sealed, resealed], key);
        if (swapped === 1) values++;
      }
    }
  }
  for await (const keys of client.scanIterator({ MATCH: `${prefix}proc:draft:*`, COUNT: 200 })) {
    for (const key of keys) {
      const [owner = '', procedureId = ''] = key.slice(`${prefix}proc:draft:`.length).split(':');
      const sealed = await client.get(key);
      const resealed = sealed ? cipher.rotate(sealed, `draft:${owner}:${procedureId}`) : undefined;
      if (!sealed || !resealed) continue;
      if ((await redis.sendCommand(['EVAL', SWAP_STRING, '1', key, sealed, resealed], key)) === 1) values++;
    }
  }
  for await (const keys of client.scanIterator({ MATCH: `${prefix}citizen:{*}:sso-account`, COUNT: 200 })) {
    for (const key of keys) {
      const sealed = await client.get(key);
      const resealed = sealed ? cipher.rotate(sealed, accountContext(key.slice(prefix.length))) : undefined;
      if (!sealed || !resealed) continue;
      if ((await redis.sendCommand(['EVAL', SWAP_STRING, '1', key, sealed, resealed], key)) === 1) values++;
    }
  }
  return { values };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const config = loadConfig();
  const logger = createLogger(config.log.level);
  const redis = createRedisConnection(config.redis, logger);
  await connectRedis(redis);
  const keys = loadDataKeys(config.citizen, config.env);
  const result = await reencryptAll(redis, createDataCipher(keys));
  logger.info({ ...result, key: keys[0]?.id }, 'personal data re-encrypted under the newest key');
  await redis.close();
}
