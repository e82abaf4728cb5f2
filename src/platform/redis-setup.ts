import type { RedisConfig } from '../config/schema.ts';
import {
  RedisUnavailableError,
  redisAnswers,
  startEmbeddedRedis,
  type EmbeddedRedis,
} from './embedded-redis.ts';
import type { Logger } from './logger.ts';

/**
 * Decides which Redis to use: the configured one; else a server already answering at
 * `redis.embedded.probe` (127.0.0.1:6379); else (when allowed) a private redis-server the gateway starts.
 */
export async function resolveRedis(
  config: RedisConfig,
  logger: Logger,
): Promise<{ config: RedisConfig; embedded?: EmbeddedRedis }> {
  if (config.url || config.sentinel || config.cluster) return { config };
  const { probe } = config.embedded;
  if (await redisAnswers(probe.host, probe.port)) {
    return { config: { ...config, url: `redis://${probe.host}:${probe.port}` } };
  }
  if (!config.embedded.enabled) {
    throw new RedisUnavailableError(
      `No Redis configured and none answers on ${probe.host}:${probe.port}: set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES.`,
    );
  }
  const embedded = await startEmbeddedRedis(config.embedded.binary, config.embedded.dir, logger);
  return { config: { ...config, url: embedded.url }, embedded };
}
