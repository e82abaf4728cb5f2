import type { NextFunction, Request, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { TooManyRequestsError } from './errors.ts';
import type { RedisConnection } from './redis.ts';

export interface RateLimitRule {
  windowSeconds: number;
  max: number;
}

/**
 * A per-client-address limit whose counters live in Redis, so every instance counts the same hits.
 * `name` separates the counters of different limits.
 */
export function createRateLimit(redis: RedisConnection, name: string, rule: RateLimitRule) {
  return rateLimit({
    windowMs: rule.windowSeconds * 1000,
    limit: rule.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new RedisStore({
      prefix: `${redis.prefix}ratelimit:${name}:`,
      sendCommandCluster: ({ key, command }) => redis.sendCommand(command, key) as Promise<number>,
    }),
    handler: (_req: Request, _res: Response, next: NextFunction) => {
      next(new TooManyRequestsError(rule.windowSeconds));
    },
  });
}
