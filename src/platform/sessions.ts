import './session-data.ts';
import { RedisStore } from 'connect-redis';
import type { NextFunction, Request, Response } from 'express';
import session from 'express-session';
import { ServiceUnavailableError } from './errors.ts';
import { randomToken } from './random-tokens.ts';
import type { RedisConnection } from './redis.ts';

export interface SessionOptions {
  secrets: readonly string[];
  cookieName: string;
  idleTimeoutSeconds: number;
  absoluteLifetimeSeconds: number;
  /** Send the cookie only over HTTPS (true when the public address is https). */
  secureCookie: boolean;
}

export const sessionKeyPrefix = (redis: RedisConnection) => `${redis.prefix}sess:`;

export function createSessionStore(redis: RedisConnection, idleTimeoutSeconds: number): session.Store {
  return new RedisStore({ client: redis.client, prefix: sessionKeyPrefix(redis), ttl: idleTimeoutSeconds });
}

/**
 * express-session on Redis. Sessions are created only when something is stored (no session for an
 * anonymous visit), expire after the idle timeout (renewed on each request) and end at the absolute
 * lifetime whatever the activity.
 */
export function sessionMiddleware(store: session.Store, options: SessionOptions) {
  const handle = session({
    store,
    name: options.cookieName,
    secret: [...options.secrets],
    // 24 random bytes, base64url, as express-session's own ids (uid-safe), from the pooled CSPRNG.
    genid: () => randomToken(24, 'base64url'),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    unset: 'destroy',
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secureCookie,
      path: '/',
      maxAge: options.idleTimeoutSeconds * 1000,
    },
  });
  const absoluteMs = options.absoluteLifetimeSeconds * 1000;
  return [
    (req: Request, res: Response, next: NextFunction) => {
      handle(req, res, (error?: unknown) => {
        if (!error) return next();
        // The session could not be read (Redis went away mid-request). With `unset: 'destroy'`
        // express-session would delete the session from the store when the response ends, as if the
        // citizen had logged out: forget its id for this request so the session survives the outage.
        (req as { sessionID?: string }).sessionID = undefined;
        next(new ServiceUnavailableError('redis_unavailable', { cause: error }));
      });
    },
    (req: Request, _res: Response, next: NextFunction) => {
      const createdAt = req.session.createdAt;
      if (createdAt !== undefined && Date.now() - createdAt > absoluteMs) {
        req.session.destroy((error) => {
          if (error) return next(error);
          // A new, empty session for the rest of this request; nothing of the old one survives.
          req.sessionStore.generate(req);
          next();
        });
        return;
      }
      next();
    },
  ];
}
