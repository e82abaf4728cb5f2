import type { NextFunction, Request, Response } from 'express';
import { AppError, NotFoundError } from '../platform/errors.ts';
import { localPath } from '../platform/local-path.ts';
import { renderPage } from '../platform/views.ts';
import type { CitizenRecords } from '../citizen/record.ts';
import type { LoginSessions } from './login-session.ts';
import { askLogin, continuedLogin, forgetPendingLogin } from './pending-login.ts';
import type { SessionIndex } from '../citizen/session-index.ts';
import { describeUserAgent } from './user-agent.ts';
import { LOGGED_OUT_PATH } from './logged-out.ts';
import './staff.ts';

/** One way to log in, as the login page offers it (SPID, CIE, other OpenID Connect providers). */
export interface LoginOption {
  id: string;
  label: string;
  href: string;
  /** The label in each language (OpenID Connect providers' descriptors carry both). */
  labels?: { it: string; en: string };
  /** Where the login page places it: CIE right after SPID, then the other OpenID Connect providers. */
  kind?: 'cie' | 'oidc';
  /** An icon under /assets/. */
  logo?: string;
}

/** Where a login ends when nothing else was asked for. */
const AFTER_LOGIN = '/me';

/**
 * Sends anonymous visitors to the login page, remembering where they were going for that login only
 * (pending-login.ts). Only a page worth coming back to is remembered (a GET other than the personal
 * area, where login ends anyway), so an anonymous visit to /me, or a stray POST, writes no session to
 * Redis and sets no cookie.
 */
export async function requireCitizen(req: Request, res: Response, next: NextFunction) {
  if (req.session.citizen) return next();
  const path = req.method === 'GET' ? localPath(req.originalUrl) : undefined;
  const returnTo = path === AFTER_LOGIN ? undefined : path;
  if (returnTo) await req.openSession();
  res.redirect(303, askLogin(req, returnTo));
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

/**
 * Another module's part of the personal area (/me): reads what it shows of the citizen and puts it in
 * res.locals for the page's template. The sections and the page's own reads run together, so the page
 * waits for the slowest of them, not for their sum.
 */
export type PersonalAreaSection = (req: Request, res: Response) => Promise<void>;

/** Told when gateway sessions end (logout, ending sessions from the personal area), e.g. SSO back-channel logout. */
export type SessionEndListener = (fiscalCode: string, sessionIds: readonly string[]) => Promise<void>;

export function createIdentityController(deps: {
  loginSessions: LoginSessions;
  sessionIndex: SessionIndex;
  loginOptions: () => readonly LoginOption[];
  logoutHandlers: Readonly<Record<string, LogoutHandler>>;
  sessionEndListeners?: readonly SessionEndListener[];
  citizens?: CitizenRecords;
  /** A provider's name for people, by CitizenIdentity.provider (SPID is named by the view). */
  providerName?: (provider: string, language: string) => string | undefined;
  /** The name of the identity provider behind an issuer (a SPID IdP's display name), if known. */
  issuerName?: (provider: string, issuer: string) => string | undefined;
  /** What the other modules show in the personal area (SSO consents, procedures' cases…). */
  personalAreaSections?: readonly PersonalAreaSection[];
}) {
  const { loginSessions, sessionIndex } = deps;
  const ended = async (fiscalCode: string, sessionIds: readonly string[]) => {
    for (const listener of deps.sessionEndListeners ?? []) await listener(fiscalCode, sessionIds);
  };

  async function logout(req: Request, res: Response) {
    const provider = req.session.citizen?.provider ?? req.session.staff?.provider;
    const handler = provider ? deps.logoutHandlers[provider] : undefined;
    const providerLogoutUrl = handler ? await handler(req) : undefined;
    const citizen = req.session.citizen;
    if (citizen) await ended(citizen.fiscalCode, [req.sessionID]);
    await loginSessions.end(req);
    const onward = webUrl(providerLogoutUrl);
    if (!onward || !req.accepts('html')) return res.redirect(303, onward ?? LOGGED_OUT_PATH);
    // The pages' CSP allows forms to reach 'self' only, and browsers hold a form submission and every
    // redirect after it to that (CSP Level 3, form-action): a 303 to a provider on another origin would
    // stop at the gateway. This page sends the browser on with a GET instead, with or without JavaScript.
    res.locals.citizen = undefined;
    renderPage(req, res, 'identity/logout', { onward });
  }

  async function endOthers(req: Request) {
    const { fiscalCode } = citizenOf(req);
    const sessions = await sessionIndex.list(fiscalCode);
    const others = sessions.filter((entry) => entry.sessionId !== req.sessionID).map((e) => e.sessionId);
    await ended(fiscalCode, others);
    await sessionIndex.end(fiscalCode, others);
  }

  return {
    loginPage(req: Request, res: Response) {
      const next = localPath(req.query.next);
      // The way back a protected page asked for holds for that login only: a login the citizen starts
      // themselves (the header's "Accedi", another page's link) neither says it is needed nor ends there.
      const continued = continuedLogin(req, next);
      if (!continued) forgetPendingLogin(req);
      const citizen = req.session.citizen;
      // A logged-in citizen stays here only when a page asked for a new login (step-up, fresh login).
      if (citizen && !continued) return res.redirect(303, next ?? AFTER_LOGIN);
      // Where to go after logging in travels with each provider's link (the SPID button does the same).
      renderPage(req, res, 'identity/login', {
        options: deps
          .loginOptions()
          .map((option) =>
            next ? { ...option, href: `${option.href}?next=${encodeURIComponent(next)}` } : option,
          ),
        loginRequired: continued !== undefined,
      });
    },

    logout,

    async personalArea(req: Request, res: Response) {
      const citizen = citizenOf(req);
      const [sessions, linked] = await Promise.all([
        sessionIndex.list(citizen.fiscalCode, req.sessionID),
        deps.citizens?.linkedIdentities(citizen.fiscalCode) ?? [],
        ...(deps.personalAreaSections ?? []).map((section) => section(req, res)),
      ]);
      const language = String(res.locals.lang ?? 'it');
      const t = res.locals.t as (key: string, options?: object) => string;
      const providerName = (provider: string) =>
        provider === 'spid' ? 'SPID' : (deps.providerName?.(provider, language) ?? provider.toUpperCase());
      // SPID levels are SPID's; another provider's level is its own (CIE has levels 1-3 too).
      const levelOf = (provider: string, level: number) =>
        provider === 'spid'
          ? t('me.levelValue', { level })
          : t('me.levelOfProvider', { level, provider: providerName(provider) });
      const now = Date.now();
      renderPage(req, res, 'identity/me', {
        sessions: sessions.map((entry) => {
          const device = describeUserAgent(entry.userAgent);
          const current = entry.sessionId === req.sessionID;
          return {
            ...entry,
            current,
            device: t('me.sessionVia', {
              device: device ? t('me.deviceOn', device) : t('me.unknownDevice'),
              provider: providerName(entry.provider),
            }),
            // The index is refreshed at most once a minute (login-session.ts); this session is active now.
            lastSeenAt: current ? now : entry.lastSeenAt,
          };
        }),
        notice: typeof req.query.notice === 'string' ? req.query.notice : undefined,
        providerName,
        levelOf,
        // People know their identity provider by its name ("Poste ID", "CIE"), not by its entity id.
        linkedIdentities: linked.map((identity) => ({
          ...identity,
          issuerName:
            deps.issuerName?.(identity.provider, identity.issuer) ??
            deps.providerName?.(identity.provider, language) ??
            hostOf(identity.issuer),
        })),
      });
    },

    async endSession(req: Request<{ handle: string }>, res: Response) {
      const citizen = citizenOf(req);
      const sessions = await sessionIndex.list(citizen.fiscalCode);
      const target = sessions.find((entry) => entry.handle === req.params.handle);
      if (!target) throw new NotFoundError('session_not_found');
      if (target.sessionId === req.sessionID) return logout(req, res);
      await ended(citizen.fiscalCode, [target.sessionId]);
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

/** `url` when it is an absolute http(s) URL (a provider's logout URL, built from its metadata), else undefined. */
function webUrl(url: string | undefined): string | undefined {
  const parsed = url && URL.canParse(url) ? new URL(url) : undefined;
  return parsed && (parsed.protocol === 'https:' || parsed.protocol === 'http:') ? parsed.href : undefined;
}

/** An issuer URL's host name (the entity id itself when it is not a URL). */
function hostOf(issuer: string): string {
  return URL.canParse(issuer) ? new URL(issuer).host : issuer;
}
