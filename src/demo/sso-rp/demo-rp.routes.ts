import express, { Router, type Request, type Response } from 'express';
import { BadRequestError } from '../../platform/errors.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import type { ClientSecrets } from '../../sso/client-secrets.repository.ts';
import {
  createDemoRelyingParty,
  DEMO_RELYING_PARTIES,
  DEMO_RP_PATH,
  type DemoRelyingPartyApp,
  type RpBrowserState,
} from './demo-rp.ts';

const COOKIE = 'varco_demo_rp';

/** What became of a login that came back without data: declined by the citizen, or failed. */
type Outcome = 'declined' | 'failed';
type PageLogin = NonNullable<RpBrowserState['login']>;
const browserIdPattern = /^[A-Za-z0-9_-]{32}$/;

function browserOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === COOKIE && value && browserIdPattern.test(value)) return value;
  }
  return undefined;
}

/** The claims a page shows, in a fixed order, and the rest after them. */
const SHOWN_FIRST = ['sub', 'fiscal_number', 'given_name', 'family_name', 'birthdate', 'email', 'acr', 'amr'];
function claimRows(claims: Record<string, unknown>) {
  const names = [
    ...SHOWN_FIRST.filter((n) => n in claims),
    ...Object.keys(claims).filter((n) => !SHOWN_FIRST.includes(n)),
  ];
  return names.map((name) => ({
    name,
    value: typeof claims[name] === 'string' ? claims[name] : JSON.stringify(claims[name]),
  }));
}

/**
 * A demo body system's pages, under /demo/rp/<serviceId>/: home (the data received, or a login
 * button), login (also its initiate_login_uri), callback, logout, logged-out, back-channel logout, and
 * the public keys of a private_key_jwt client. Mounted in demo mode only.
 */
export function demoRelyingPartyRoutes(rp: DemoRelyingPartyApp): Router {
  const router = Router();
  const path = `${DEMO_RP_PATH}/${rp.rp.serviceId}`;

  function browser(req: Request, res: Response): string {
    const existing = browserOf(req);
    if (existing) return existing;
    const id = rp.newBrowserId();
    res.cookie(COOKIE, id, { httpOnly: true, sameSite: 'lax', path: `${path}/`, secure: req.secure });
    return id;
  }

  /** The system's one page: a login button, the data received, or what became of a login. */
  const page = (res: Response, state: { login?: PageLogin; loggedOut?: boolean; outcome?: Outcome }) => {
    // Not after the Redis deadline's 503 (as renderPage, src/platform/views.ts).
    if (res.headersSent) return;
    res.render('demo/sso-rp/page', {
      serviceTitle: res.locals.t(`demoRp.services.${rp.rp.serviceId}`),
      bodyName: rp.rp.bodyName,
      login: state.login && { ...state.login, rows: claimRows(state.login.claims) },
      path,
      loggedOut: state.loggedOut ?? false,
      outcome: state.outcome,
    });
  };

  router.get(`${path}/`, async (req, res) => {
    const id = browserOf(req);
    const state = id ? await rp.load(id) : {};
    page(res, { login: state.login });
  });

  router.get(`${path}/login`, async (req, res) => {
    const iss = typeof req.query.iss === 'string' ? req.query.iss : undefined;
    const url = await rp.startLogin(browser(req, res), iss).catch(() => {
      throw new BadRequestError('demo_rp_issuer');
    });
    res.redirect(303, url.href);
  });

  router.get(`${path}/callback`, async (req, res) => {
    const id = browserOf(req);
    // No login was started from this browser (a stale or forwarded link): said on the system's page.
    if (!id) return page(res.status(400), { outcome: 'failed' });
    // The citizen said no on the gateway's consent page (or stopped the login there): nothing was
    // shared, which this system says as its own page rather than as a failure (RFC 6749 4.1.2.1).
    if (req.query.error === 'access_denied') return page(res, { outcome: 'declined' });
    const current = new URL(req.originalUrl, rp.base);
    const done = await rp.finishLogin(id, current).then(
      () => true,
      (error: unknown) => {
        req.log?.warn(
          { code: 'demo_rp_login_failed', reason: (error as Error).message },
          'demo login failed',
        );
        return false;
      },
    );
    if (!done) return page(res.status(400), { outcome: 'failed' });
    res.redirect(303, `${path}/`);
  });

  router.get(`${path}/logout`, async (req, res) => {
    const id = browserOf(req);
    if (!id) return res.redirect(303, `${path}/`);
    res.redirect(303, (await rp.logoutUrl(id)).href);
  });

  router.get(`${path}/logged-out`, (_req, res) => page(res, { loggedOut: true }));

  router.post(
    `${path}/backchannel-logout`,
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 5 }),
    async (req, res) => {
      const token = (req.body as Record<string, unknown> | undefined)?.logout_token;
      if (typeof token !== 'string') throw new BadRequestError('logout_token_missing');
      await rp.backchannelLogout(token).catch(() => {
        throw new BadRequestError('logout_token_invalid');
      });
      res.set('Cache-Control', 'no-store').status(200).end();
    },
  );

  router.get(`${path}/jwks`, async (_req, res) => {
    res.json(await rp.jwks());
  });
  return router;
}

/** Every demo body system, in demo mode (never in production). */
export function demoRelyingPartyRouters(deps: {
  redis: RedisConnection;
  publicUrl: string;
  secrets: ClientSecrets;
}): Router[] {
  return DEMO_RELYING_PARTIES.map((rp) =>
    demoRelyingPartyRoutes(
      createDemoRelyingParty(rp, {
        redis: deps.redis,
        publicUrl: deps.publicUrl,
        // The demo system and the gateway share a process: it takes its secret where the body's
        // system would have stored the one the registration API returned.
        clientSecret: async () => (await deps.secrets.get(rp.serviceId)) ?? deps.secrets.rotate(rp.serviceId),
      }),
    ),
  );
}
