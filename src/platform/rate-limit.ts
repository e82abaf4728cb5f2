import type { NextFunction, Request, Response } from 'express';
import { ipKeyGenerator, rateLimit, type AugmentedRequest } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { TooManyRequestsError } from './errors.ts';
import type { RedisConnection } from './redis.ts';

export interface RateLimitRule {
  windowSeconds: number;
  max: number;
}

export interface RateLimitOptions {
  /**
   * What is counted beside the client address (a client id, say); its value only ever narrows the
   * address's counter, it never replaces the address.
   */
  partition?: (req: Request) => string | undefined;
  /**
   * Writes the refusal itself (protocols with their own error format); Retry-After (seconds until the
   * window resets) and the RateLimit headers are already set. By default the gateway's error handler
   * answers (its 429 page, or problem details under the API).
   */
  refuse?: (req: Request, res: Response) => void;
}

/** The client address as express-rate-limit counts it (an IPv6 client by its /56, as by default). */
const addressOf = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');

/**
 * Seconds until the client's counter resets (RFC 9110 section 10.2.3, Retry-After), from the reset time
 * express-rate-limit puts on the request; the whole window when the store gave none.
 */
export function secondsToReset(req: Request, windowSeconds: number, now = Date.now()): number {
  const resetTime = (req as Partial<AugmentedRequest>).rateLimit?.resetTime;
  if (!resetTime) return windowSeconds;
  return Math.min(windowSeconds, Math.max(1, Math.ceil((resetTime.getTime() - now) / 1000)));
}

/**
 * A per-client-address limit whose counters live in Redis, so every instance counts the same hits.
 * `name` separates the counters of different limits.
 */
export function createRateLimit(
  redis: RedisConnection,
  name: string,
  rule: RateLimitRule,
  options: RateLimitOptions = {},
) {
  const { partition, refuse } = options;
  return rateLimit({
    windowMs: rule.windowSeconds * 1000,
    limit: rule.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new RedisStore({
      prefix: `${redis.prefix}ratelimit:${name}:`,
      sendCommandCluster: ({ key, command }) => redis.sendCommand(command, key) as Promise<number>,
    }),
    ...(partition
      ? {
          keyGenerator: (req: Request) => {
            const part = partition(req);
            return part === undefined ? addressOf(req) : `${addressOf(req)} ${part}`;
          },
        }
      : {}),
    handler: (req: Request, res: Response, next: NextFunction) => {
      if (!refuse) return next(new TooManyRequestsError(secondsToReset(req, rule.windowSeconds)));
      req.log?.warn({ code: 'too_many_requests', limit: name }, 'request rejected');
      res.setHeader('Cache-Control', 'no-store');
      refuse(req, res);
    },
  });
}
