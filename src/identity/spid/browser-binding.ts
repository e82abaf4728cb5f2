import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookie } from '../../platform/cookies.ts';

const VALUE = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Binds each SPID login to the browser that started it, so a Response obtained by someone else and
 * posted from this browser cannot log it in (login CSRF). The browser keeps a random value in a
 * cookie of its own; each outstanding request holds only its hash (the value is a bearer secret).
 *
 * The IdP's POST to the ACS is cross-site, and a SameSite=Lax cookie is not sent with it: over https
 * the cookie is SameSite=None; Secure, with the __Host- prefix (RFC 6265bis) so no sibling subdomain
 * can plant its own value. Browsers refuse SameSite=None without Secure, so over plain http (demo
 * mode) it is Lax: sent with the POST only from an IdP on the same site, such as the demo IdP.
 */
export function createBrowserBinding(options: { secure: boolean; maxAgeSeconds: number }) {
  const name = options.secure ? '__Host-varco.spid' : 'varco.spid';
  const current = (req: Request) => {
    const value = readCookie(req, name);
    return value !== undefined && VALUE.test(value) ? value : undefined;
  };
  return {
    /**
     * At the start of a login: the browser's binding (the one it has, so logins started in two tabs
     * both stand, or a new one), kept for as long as a request; returns its hash.
     */
    bind(req: Request, res: Response): string {
      const value = current(req) ?? randomBytes(32).toString('base64url');
      res.cookie(name, value, {
        httpOnly: true,
        secure: options.secure,
        sameSite: options.secure ? 'none' : 'lax',
        path: '/',
        maxAge: options.maxAgeSeconds * 1000,
      });
      return hashOf(value);
    },

    /** At the ACS: the hash of the binding the browser sent, if it sent one. */
    of(req: Request): string | undefined {
      const value = current(req);
      return value === undefined ? undefined : hashOf(value);
    },
  };
}

export type BrowserBinding = ReturnType<typeof createBrowserBinding>;
