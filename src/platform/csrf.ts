import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from './errors.ts';

/** Name of the hidden form field (and of the header, for scripts) that carries the token. */
export const CSRF_FIELD = '_csrf';
const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class CsrfError extends AppError {
  constructor() {
    super(403, 'csrf_invalid');
  }
}

/** The session's synchroniser token, created on first use (this creates the session if there is none). */
export function csrfToken(req: Request): string {
  req.session.createdAt ??= Date.now();
  req.session.csrfToken ??= randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

function sameToken(received: unknown, stored: string | undefined): boolean {
  if (typeof received !== 'string' || stored === undefined) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Synchroniser-token CSRF protection for every state-changing request, except the paths given, which
 * authenticate otherwise (signed SAML messages, API credentials). Compared in constant time.
 */
export function csrfProtection(exemptPrefixes: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.csrfToken = () => csrfToken(req);
    if (SAFE_METHODS.has(req.method) || exemptPrefixes.some((prefix) => req.path.startsWith(prefix))) {
      return next();
    }
    const received: unknown =
      (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD] ?? req.get(CSRF_HEADER);
    next(sameToken(received, req.session?.csrfToken) ? undefined : new CsrfError());
  };
}
