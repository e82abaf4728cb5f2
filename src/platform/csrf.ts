import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { readCookie } from './cookies.ts';
import { AppError } from './errors.ts';

/** Name of the hidden form field (and of the header, for scripts) that carries the token. */
export const CSRF_FIELD = '_csrf';
const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export class CsrfError extends AppError {
  constructor() {
    super(403, 'csrf_invalid');
  }
}

const MASKED = /^[A-Za-z0-9_-]{86}$/;

/**
 * A token as a page carries it: a fresh random pad, then the token XORed with it. Its bytes differ in
 * every response, so a compressed page that also reflects a visitor's input tells nothing of the token
 * by its size (the BREACH attack; Django and Rails mask their tokens the same way).
 */
function masked(token: string): string {
  const raw = Buffer.from(token, 'base64url');
  const pad = randomBytes(raw.length);
  return Buffer.concat([pad, xor(raw, pad)]).toString('base64url');
}

/** The token a form sent, unmasked; undefined for anything that is not a masked token. */
function unmasked(received: unknown): Buffer | undefined {
  if (typeof received !== 'string' || !MASKED.test(received)) return undefined;
  const bytes = Buffer.from(received, 'base64url');
  const half = bytes.length / 2;
  return xor(bytes.subarray(0, half), bytes.subarray(half));
}

/** Two buffers of the same length, XORed byte by byte. */
function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

function sameToken(received: unknown, expected: string | undefined): boolean {
  const a = unmasked(received);
  if (a === undefined || expected === undefined) return false;
  const b = Buffer.from(expected, 'base64url');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A session that is stored (created by a login, a pending login…): one already holds `createdAt`. */
const hasStoredSession = (req: Request) => req.session?.createdAt !== undefined;

/**
 * Form tokens against cross-site request forgery, for every state-changing request.
 *
 * A visitor with a session gets the session's synchroniser token (kept in the session). An anonymous
 * visitor has no session, and must not get one just for a form: their token is a signed double-submit
 * (OWASP CSRF Prevention Cheat Sheet): a random value in a cookie of its own and, in the form, its
 * HMAC-SHA256 under the session secrets, which another site can neither read nor compute. Over https the
 * cookie carries the __Host- prefix, so no sibling subdomain can plant a value of its own. Such a token
 * is accepted only from a visitor without a session: it acts for no one.
 *
 * Written here rather than with csrf-csrf (a maintained double-submit library): that needs cookie-parser
 * on every request and would replace the session tokens too, where only anonymous forms need this;
 * the whole job is one HMAC.
 */
export function createCsrf(options: { secrets: readonly string[]; secureCookie: boolean }) {
  const cookieName = options.secureCookie ? '__Host-varco.csrf' : 'varco.csrf';
  const sign = (secret: string, value: string) =>
    createHmac('sha256', secret).update(`varco-csrf-anonymous:${value}`).digest('base64url');
  const signingSecret = options.secrets[0];
  if (signingSecret === undefined) throw new Error('CSRF tokens need a session secret');
  const signWithCurrent = (value: string) => sign(signingSecret, value);
  // The cookie value set during this request (a page may hold several forms).
  const issued = new WeakMap<Request, string>();

  function cookieValue(req: Request): string | undefined {
    const value = issued.get(req) ?? readCookie(req, cookieName);
    return value !== undefined && COOKIE_VALUE.test(value) ? value : undefined;
  }

  function anonymousToken(req: Request, res: Response): string {
    let value = cookieValue(req);
    if (value === undefined) {
      value = randomBytes(32).toString('base64url');
      issued.set(req, value);
      res.cookie(cookieName, value, {
        httpOnly: true,
        sameSite: 'lax',
        secure: options.secureCookie,
        path: '/',
      });
    }
    return signWithCurrent(value);
  }

  function validAnonymous(req: Request, received: unknown): boolean {
    const value = cookieValue(req);
    return value !== undefined && options.secrets.some((secret) => sameToken(received, sign(secret, value)));
  }

  /** The visitor's token, unmasked: the session's, or the signed anonymous one. */
  function plainToken(req: Request, res: Response): string {
    if (!hasStoredSession(req)) return anonymousToken(req, res);
    req.session.csrfToken ??= randomBytes(32).toString('base64url');
    return req.session.csrfToken;
  }

  /** The token for a form of this response, masked afresh each time. */
  function token(req: Request, res: Response): string {
    return masked(plainToken(req, res));
  }

  return {
    token,

    /**
     * res.locals.csrfToken() for the templates, asked for only when a page shows a form. Mounted before
     * every router that renders pages; reads the session when called, so it works below routers that
     * load the session themselves.
     */
    locals(req: Request, res: Response, next: NextFunction) {
      // One mask per response, whatever the number of forms on the page: what hides the token from
      // BREACH is that its bytes differ from one response to the next (each mask costs a call to the
      // system's random source). Masked again should the token itself change during the request (a login).
      let last: { plain: string; masked: string } | undefined;
      res.locals.csrfToken = () => {
        const plain = plainToken(req, res);
        if (last?.plain !== plain) last = { plain, masked: masked(plain) };
        return last.masked;
      };
      next();
    },

    /**
     * Checks the token of every state-changing request, except on the paths given, which authenticate
     * otherwise (signed SAML messages, API credentials). Compared in constant time.
     */
    protection(exemptPrefixes: readonly string[]) {
      return (req: Request, _res: Response, next: NextFunction) => {
        if (SAFE_METHODS.has(req.method) || exemptPrefixes.some((prefix) => req.path.startsWith(prefix))) {
          return next();
        }
        const received: unknown =
          (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD] ?? req.get(CSRF_HEADER);
        const valid = hasStoredSession(req)
          ? sameToken(received, req.session.csrfToken)
          : validAnonymous(req, received);
        next(valid ? undefined : new CsrfError());
      };
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
