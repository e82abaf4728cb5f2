import './session-data.ts';
import { RedisStore } from 'connect-redis';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { ServiceUnavailableError } from './errors.ts';
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

declare module 'http' {
  interface IncomingMessage {
    /**
     * Makes sure the visitor has a stored session before something is kept for them: a visitor who has
     * one goes on at no cost; one who has none starts one, within the per-address limit on new
     * sessions (a TooManyRequestsError beyond it). Logins start theirs themselves (login-session.ts).
     */
    openSession(): Promise<void>;
  }
}

/**
 * connect-redis, except that reading a session renews its idle timeout in the same command (GETEX,
 * Redis ≥ 6.2), instead of connect-redis's GET when the request comes and EXPIRE when its response
 * ends, which express-session holds the end of every response for. Every request with a session makes
 * one round trip to Redis fewer and its response is not held back; the rest (saving with the TTL,
 * destroying) is connect-redis's own.
 */
class SessionStore extends RedisStore {
  readonly #client: RedisConnection['client'];
  readonly #idleTimeoutSeconds: number;

  constructor(redis: RedisConnection, idleTimeoutSeconds: number) {
    super({
      client: redis.client,
      prefix: sessionKeyPrefix(redis),
      ttl: idleTimeoutSeconds,
      disableTouch: true,
    });
    this.#client = redis.client;
    this.#idleTimeoutSeconds = idleTimeoutSeconds;
  }

  override async get(sid: string, cb?: (error: unknown, session?: session.SessionData | null) => void) {
    let found: session.SessionData | null;
    try {
      const key = this.prefix + sid;
      const data = await this.#client.getEx(key, { type: 'EX', value: this.#idleTimeoutSeconds });
      found = data === null ? null : (this.serializer.parse(data) as session.SessionData);
    } catch (error) {
      if (cb) return cb(error, null);
      throw error;
    }
    return cb ? cb(null, found) : found;
  }
}

export function createSessionStore(redis: RedisConnection, idleTimeoutSeconds: number): session.Store {
  return new SessionStore(redis, idleTimeoutSeconds);
}

/**
 * express-session on Redis. Sessions are created only when something is stored (no session for an
 * anonymous visit), expire after the idle timeout (renewed on each request) and end at the absolute
 * lifetime whatever the activity. `newSessions`, a rate limit, bounds how many sessions one client
 * address starts (req.openSession).
 */
export function sessionMiddleware(
  store: session.Store,
  options: SessionOptions,
  newSessions?: RequestHandler,
) {
  const handle = session({
    store,
    name: options.cookieName,
    secret: [...options.secrets],
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
        // The session could not be saved once the answer was sent (express-session saves when the
        // response ends, and reports a failure by calling next again): nothing is left to answer; the
        // JSON log says so rather than Express's final handler printing a stack to stderr.
        if (res.headersSent) {
          req.log?.warn(
            { code: 'session_not_saved', reason: (error as Error).message?.slice(0, 200) },
            'session not saved after the response',
          );
          return;
        }
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
    (req: Request, res: Response, next: NextFunction) => {
      req.openSession = async () => {
        if (req.session.createdAt !== undefined) return;
        if (newSessions) {
          await new Promise<void>((resolve, reject) => {
            void newSessions(req, res, (error?: unknown) => (error ? reject(error as Error) : resolve()));
          });
        }
        req.session.createdAt = Date.now();
      };
      next();
    },
  ];
}
