import type { Request, Response } from 'express';
import { localPath } from '../../platform/local-path.ts';
import type { Level } from '../citizen.ts';
import type { LoginSessions } from '../login-session.ts';
import { OidcError } from './oidc-errors.ts';
import type { OidcRelyingParty } from './oidc.service.ts';
import './oidc-session.ts';
import { pendingLogin } from '../pending-login.ts';
import { finishLogin } from '../login-exit.ts';

const LEVEL_PARAMETER: ReadonlyMap<string, Level> = new Map([
  ['1', 1],
  ['2', 2],
  ['3', 3],
]);

const rawQuery = (req: Request) => {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? '' : req.originalUrl.slice(at + 1);
};

/** HTTP side of the relying party: reads the request, asks the service, establishes the session. */
export function createOidcController(deps: { rp: OidcRelyingParty; loginSessions: LoginSessions }) {
  const { rp, loginSessions } = deps;
  return {
    /** GET /oidc/login/:provider?level=1|2|3&next=/local/path */
    async login(req: Request<{ provider: string }>, res: Response) {
      const rawLevel = req.query.level;
      const pending = pendingLogin(req);
      const level = rawLevel === undefined ? (pending?.level ?? 1) : LEVEL_PARAMETER.get(String(rawLevel));
      if (level === undefined) throw new OidcError('oidc_bad_request');
      const returnTo = localPath(req.query.next) ?? pending?.returnTo ?? '/me';
      // The flow is bound to this browser's session: make sure there is one to come back to.
      await req.openSession();
      const url = await rp.startLogin({
        provider: req.params.provider,
        level,
        returnTo,
        sessionId: req.sessionID,
        language: String(res.locals.lang ?? 'it'),
      });
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, url);
    },

    /** GET /oidc/callback/:provider — a top-level navigation, so the (SameSite=Lax) session cookie comes along. */
    async callback(req: Request<{ provider: string }>, res: Response) {
      const { login, returnTo } = await rp
        .finishLogin({ provider: req.params.provider, query: rawQuery(req), sessionId: req.sessionID })
        .catch((error: unknown) => {
          loginSessions.failed(req.params.provider);
          throw error;
        });
      if (login.kind === 'citizen') {
        await loginSessions.establish(req, login.identity);
        req.log?.info({ provider: req.params.provider, level: login.identity.level }, 'oidc login');
      } else {
        await loginSessions.establishStaff(req, login.staff);
        req.log?.info({ provider: req.params.provider, level: login.staff.level }, 'oidc staff login');
      }
      req.session.oidc = { provider: req.params.provider };
      // Staff are not citizens: the personal area (the default destination) is not theirs.
      finishLogin(req, res, login.kind === 'staff' && returnTo === '/me' ? '/' : returnTo);
    },
  };
}

export type OidcController = ReturnType<typeof createOidcController>;
