import type { NextFunction, Request, Response } from 'express';
import type { LoginSessions } from '../login-session.ts';
import { BadRequestError } from '../../platform/errors.ts';
import { localPath } from '../../platform/local-path.ts';
import type { Spid } from './spid.service.ts';
import './spid-session.ts';
import { continuedLogin, pendingLogin } from '../pending-login.ts';
import { finishLogin } from '../login-exit.ts';

export function createSpidController(deps: { spid: Spid; loginSessions: LoginSessions }) {
  const { spid, loginSessions } = deps;
  return {
    metadata(_req: Request, res: Response) {
      res.type('application/samlmetadata+xml').send(spid.metadata());
    },

    async login(req: Request, res: Response) {
      const returnTo = localPath(req.query.next) ?? pendingLogin(req)?.returnTo ?? '/me';
      const citizen = req.session.citizen;
      const replaces = citizen ? { sessionId: req.sessionID, fiscalCode: citizen.fiscalCode } : undefined;
      const fresh = req.query.fresh;
      if (fresh !== undefined && fresh !== '1') throw new BadRequestError('spid_unknown_fresh');
      const url = await spid.startLogin({
        idp: req.query.idp,
        level: req.query.level,
        fresh: fresh === '1',
        returnTo,
        browser: spid.binding.bind(req, res),
        replaces,
      });
      res.setHeader('Cache-Control', 'no-store');
      // 302: AgID's conformance tool (spid-sp-test) accepts only 200 or 302 from the login URL, and on
      // anything else skips its AuthnRequest and Response checks.
      res.redirect(302, url);
    },

    /**
     * The IdP's cross-site POST: the session cookie is not sent with it (SameSite=Lax), so validation
     * relies only on the Redis request record and the browser binding; the session is created
     * (regenerated) after success, and a refused Response leaves the browser's session as it was.
     */
    async acs(req: Request, res: Response) {
      const login = await spid.validateResponse(req, res).catch((error: unknown) => {
        loginSessions.failed('spid');
        throw error;
      });
      if (login.repeated) return finishLogin(req, res, login.returnTo);
      await loginSessions.establish(req, login.identity);
      req.session.spid = login.logout;
      await spid.singleLogout.rememberLogin(req);
      if (login.replaces) await spid.endReplacedSession(login.replaces, req.sessionID);
      req.log?.info({ idp: login.logout.idp, level: login.identity.level }, 'spid login');
      finishLogin(req, res, login.returnTo);
    },

    /** GET /spid/slo: the IdP's LogoutResponse, or its own LogoutRequest (answered with a LogoutResponse). */
    async slo(req: Request, res: Response) {
      const at = req.originalUrl.indexOf('?');
      const next = await spid.singleLogout.receive(at < 0 ? '' : req.originalUrl.slice(at + 1));
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, next);
    },

    /** POST /spid/slo: the same over the HTTP-POST binding (cross-site: no session needed). */
    async sloPost(req: Request, res: Response) {
      const next = await spid.singleLogout.receivePost((req.body ?? {}) as Record<string, unknown>);
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, next);
    },

    /** res.locals.spidIdps: the IdPs of the SPID button (views/identity/spid-button.ejs), shuffled. */
    buttonLocals(req: Request, res: Response, next: NextFunction) {
      const returnTo = localPath(req.query.next);
      res.locals.spidIdps = spid.choices(continuedLogin(req, returnTo)?.level ?? 1, returnTo);
      next();
    },
  };
}

export type SpidController = ReturnType<typeof createSpidController>;
