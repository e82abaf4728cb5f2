import 'express-session';
import type { Request } from 'express';
import type { Level } from './citizen.ts';
import '../platform/session-data.ts';

declare module 'express-session' {
  interface SessionData {
    /** The SPID level the page the citizen is trying to reach needs (read by the login page's SPID button). */
    requiredLevel: Level;
    /** When a protected page sent the citizen to log in (milliseconds since the epoch). */
    loginAskedAt: number;
  }
}

/**
 * How long the way back a protected page asked for stays valid: as long as a SPID or OpenID Connect
 * login request itself (their default request TTLs), so it covers one login and not a later one.
 */
export const PENDING_LOGIN_MS = 10 * 60 * 1000;

/** The login a protected page started: where to go afterwards, and at what level. */
export interface PendingLogin {
  returnTo: string;
  level?: Level;
}

/**
 * Remembers the way back (and the level, for step-up) and returns the login page's address for it. The
 * `next` in that address is the mark of the continuation: the header's plain "Accedi" has none. Callers
 * open the session first (req.openSession, within the limit on new sessions).
 */
export function askLogin(req: Request, returnTo: string | undefined, level?: Level): string {
  if (!returnTo) {
    forgetPendingLogin(req);
    return '/login';
  }
  req.session.returnTo = returnTo;
  if (level === undefined) delete req.session.requiredLevel;
  else req.session.requiredLevel = level;
  req.session.loginAskedAt = Date.now();
  req.session.createdAt ??= Date.now();
  return `/login?next=${encodeURIComponent(returnTo)}`;
}

/** The pending login, if one was asked for less than PENDING_LOGIN_MS ago; an older one is forgotten. */
export function pendingLogin(req: Request, now = Date.now()): PendingLogin | undefined {
  const { returnTo, requiredLevel, loginAskedAt } = req.session;
  if (!returnTo) return undefined;
  if (loginAskedAt === undefined || now - loginAskedAt > PENDING_LOGIN_MS || loginAskedAt > now) {
    forgetPendingLogin(req);
    return undefined;
  }
  return { returnTo, level: requiredLevel };
}

/**
 * The pending login when this request to the login page continues it: it carries the same `next`, or
 * `retry=1` (the "try again" link of a failed login). Any other visit is a login of its own.
 */
export function continuedLogin(req: Request, next: string | undefined): PendingLogin | undefined {
  const pending = pendingLogin(req);
  if (!pending) return undefined;
  const continues = next === undefined ? req.query.retry === '1' : next === pending.returnTo;
  return continues ? pending : undefined;
}

export function forgetPendingLogin(req: Request): void {
  // Only touch a session that holds something: an anonymous visit must not create one.
  if (req.session.returnTo === undefined && req.session.requiredLevel === undefined) return;
  delete req.session.returnTo;
  delete req.session.requiredLevel;
  delete req.session.loginAskedAt;
}
