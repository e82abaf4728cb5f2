import type { NextFunction, Request, Response } from 'express';
import { AppError, NotFoundError } from '../platform/errors.ts';
import { localPath } from '../platform/local-path.ts';
import { renderPage } from '../platform/views.ts';
import type { LoginSessions } from './login-session.ts';
import type { SessionIndex } from './session-index.ts';
import { describeUserAgent } from './user-agent.ts';

/** One way to log in, as the login page offers it (SPID, CIE, other OpenID Connect providers). */
export interface LoginOption {
  id: string;
  label: string;
  href: string;
}

/** Where a login ends when nothing else was asked for. */
const AFTER_LOGIN = '/me';

/**
 * Sends anonymous visitors to the login page, remembering where they were going. Only a page worth
 * coming back to is remembered (a GET other than the personal area, where login ends anyway), so an
 * anonymous visit to /me, or a stray POST, writes no session to Redis and sets no cookie.
 */
export function requireCitizen(req: Request, res: Response, next: NextFunction) {
  if (req.session.citizen) return next();
  const returnTo = req.method === 'GET' ? localPath(req.originalUrl) : undefined;
  if (returnTo && returnTo !== AFTER_LOGIN) {
    req.session.returnTo = returnTo;
    req.session.createdAt ??= Date.now();
  }
  res.redirect(303, '/login');
}

/** The logged-in citizen of a request that went through requireCitizen. */
function citizenOf(req: Request) {
  const citizen = req.session.citizen;
  if (!citizen) throw new AppError(401, 'login_required');
  return citizen;
}

/**
 * A provider's part of logout, keyed by CitizenIdentity.provider: called before the local session ends,
 * it may return the provider's logout URL to send the browser to (SAML SLO, OIDC RP-initiated logout).
 */
export type LogoutHandler = (req: Request) => Promise<string | undefined>;

export function createIdentityController(deps: {
  loginSessions: LoginSessions;
  sessionIndex: SessionIndex;
  loginOptions: () => readonly LoginOption[];
  logoutHandlers: Readonly<Record<string, LogoutHandler>>;
}) {
  const { loginSessions, sessionIndex } = deps;

  async function logout(req: Request, res: Response) {
    const provider = req.session.citizen?.provider;
    const handler = provider ? deps.logoutHandlers[provider] : undefined;
    const providerLogoutUrl = handler ? await handler(req) : undefined;
    await loginSessions.end(req);
    res.redirect(303, providerLogoutUrl ?? '/');
  }

  async function endOthers(req: Request) {
    const { fiscalCode } = citizenOf(req);
    const sessions = await sessionIndex.list(fiscalCode);
    const others = sessions.filter((entry) => entry.sessionId !== req.sessionID).map((e) => e.sessionId);
    await sessionIndex.end(fiscalCode, others);
  }

  return {
    loginPage(req: Request, res: Response) {
      if (req.session.citizen) return res.redirect(303, localPath(req.query.next) ?? AFTER_LOGIN);
      renderPage(req, res, 'identity/login', {
        options: deps.loginOptions(),
        loginRequired: Boolean(req.session.returnTo),
      });
    },

    logout,

    async personalArea(req: Request, res: Response) {
      const citizen = citizenOf(req);
      const sessions = await sessionIndex.list(citizen.fiscalCode);
      const t = res.locals.t as (key: string, options?: object) => string;
      renderPage(req, res, 'identity/me', {
        sessions: sessions.map((entry) => {
          const device = describeUserAgent(entry.userAgent);
          return {
            ...entry,
            current: entry.sessionId === req.sessionID,
            device: device ? t('me.deviceOn', device) : t('me.unknownDevice'),
          };
        }),
        notice: typeof req.query.notice === 'string' ? req.query.notice : undefined,
      });
    },

    async endSession(req: Request<{ handle: string }>, res: Response) {
      const citizen = citizenOf(req);
      const sessions = await sessionIndex.list(citizen.fiscalCode);
      const target = sessions.find((entry) => entry.handle === req.params.handle);
      if (!target) throw new NotFoundError('session_not_found');
      if (target.sessionId === req.sessionID) return logout(req, res);
      await sessionIndex.end(citizen.fiscalCode, [target.sessionId]);
      res.redirect(303, '/me?notice=sessionEnded#sessions');
    },

    async endOtherSessions(req: Request, res: Response) {
      await endOthers(req);
      res.redirect(303, '/me?notice=othersEnded#sessions');
    },

    async endAllSessions(req: Request, res: Response) {
      await endOthers(req);
      await logout(req, res);
    },
  };
}

export type IdentityController = ReturnType<typeof createIdentityController>;
