import 'express-session';
import type { NextFunction, Request, Response } from 'express';
import { localPath } from '../platform/local-path.ts';
import type { Level } from './citizen.ts';
import './oidc/oidc-session.ts';
import { askLogin } from './pending-login.ts';

/**
 * Lets the request through when the session's level is at least `needed`; otherwise starts a new login
 * at that level and brings the citizen back here. A SPID citizen goes straight back to the IdP they
 * used (SPID technical rules: a new AuthnRequest with the higher SpidL and ForceAuthn), an OpenID
 * Connect citizen to their provider; anyone else chooses on the login page, which then asks for the
 * needed level. With `fresh`, a new login is asked for whatever the session's level (the services'
 * prompt=login and max_age).
 */
export function requireLevel(needed: Level, options: { fresh?: boolean } = {}) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const citizen = req.session.citizen;
    if (!options.fresh && citizen && citizen.level >= needed) return next();
    // A fresh login (a service asked for one) keeps the level the citizen has, if higher.
    const level = options.fresh && citizen ? (Math.max(needed, citizen.level) as Level) : needed;
    const here = localPath(req.originalUrl) ?? '/';
    if (citizen?.provider === 'spid') {
      const query = new URLSearchParams({ idp: citizen.issuer, level: String(level), next: here });
      // ForceAuthn, which level 1 does not carry otherwise: the IdP would answer from its own session.
      if (options.fresh) query.set('fresh', '1');
      return res.redirect(303, `/spid/login?${query.toString()}`);
    }
    // An OpenID Connect citizen goes back to the same provider (CIE, say), asking for the higher acr.
    if (citizen && req.session.oidc?.provider === citizen.provider) {
      const query = new URLSearchParams({ level: String(level), next: here });
      return res.redirect(303, `/oidc/login/${encodeURIComponent(citizen.provider)}?${query.toString()}`);
    }
    await req.openSession();
    res.redirect(303, askLogin(req, here, level));
  };
}
