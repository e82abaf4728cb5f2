import type { Request, Response } from 'express';
import { serviceId } from '../catalog/model.ts';
import type { Config } from '../config/schema.ts';
import { createRateLimit } from '../platform/rate-limit.ts';
import type { RedisConnection } from '../platform/redis.ts';

/** `Authorization: Basic <base64>`, nothing else (RFC 7617 section 2). */
const BASIC = /^Basic ([A-Za-z0-9+/]+={0,2})$/i;

/**
 * The client_id a token request names in its client_secret_basic header (RFC 6749 section 2.3.1: form-
 * encoded, then base64), when it has the form of a client id; read from the header only, so the body
 * stays untouched for the provider. Not verified here: it only narrows the address's counter.
 */
export function basicClientId(req: Request): string | undefined {
  const match = BASIC.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const credentials = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  if (colon < 1) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(credentials.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
  return serviceId.safeParse(id).success ? id : undefined;
}

/**
 * The refusal in the shape OAuth clients read (RFC 6749 section 5.2: a JSON object with `error` and
 * `error_description`), with status 429 (RFC 6585) and Retry-After. RFC 6749 has no code for rate
 * limiting; `temporarily_unavailable` (section 4.1.2.1, "temporary overloading") is the one that says
 * "try again later", and an oidc-provider error code too.
 */
export function oauthTooManyRequests(_req: Request, res: Response) {
  const retryAfter = Number(res.getHeader('Retry-After'));
  res.status(429).json({
    error: 'temporarily_unavailable',
    error_description: Number.isFinite(retryAfter)
      ? `too many requests, retry after ${retryAfter} seconds`
      : 'too many requests, retry later',
  });
}

/**
 * The limits of the provider's endpoints, counted in Redis across instances. `browser`: the pages a
 * citizen's browser is sent to (authorization, RP-initiated logout), per client address, refused with
 * the gateway's 429 page, on a counter of their own so entering services does not use up the address's
 * forms budget nor the other way round. The endpoints that bodies' systems call (token, userinfo,
 * pushed authorization requests, and introspection and revocation should they be turned on):
 * `endpoints` per client address over all of them; `token` per client address and client, so one
 * service's burst does not use up the token budget of the other services a host runs.
 */
export function providerRateLimits(redis: RedisConnection, rules: Config['rateLimit']) {
  return {
    browser: createRateLimit(redis, 'sso-auth', rules.ssoAuth),
    endpoints: createRateLimit(redis, 'sso-endpoints', rules.ssoEndpoints, { refuse: oauthTooManyRequests }),
    token: createRateLimit(redis, 'sso-token', rules.ssoToken, {
      partition: basicClientId,
      refuse: oauthTooManyRequests,
    }),
  };
}
