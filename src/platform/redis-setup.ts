import type { RedisConfig } from '../config/schema.ts';
import { redisAnswers, startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.ts';
import type { Logger } from './logger.ts';

const LOCAL_REDIS = { host: '127.0.0.1', port: 6379 };

/**
 * Decides which Redis to use: the configured one; else a server already answering on 127.0.0.1:6379;
 * else (when allowed) a private redis-server the gateway starts itself.
 */
export async function resolveRedis(
  config: RedisConfig,
  logger: Logger,
): Promise<{ config: RedisConfig; embedded?: EmbeddedRedis }> {
  if (config.url || config.sentinel || config.cluster) return { config };
  if (await redisAnswers(LOCAL_REDIS.host, LOCAL_REDIS.port)) {
    return { config: { ...config, url: `redis://${LOCAL_REDIS.host}:${LOCAL_REDIS.port}` } };
  }
  if (!config.embedded.enabled) {
    throw new Error('No Redis configured: set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES.');
  }
  const embedded = await startEmbeddedRedis(config.embedded.binary, config.embedded.dir, logger);
  return { config: { ...config, url: embedded.url }, embedded };
}
