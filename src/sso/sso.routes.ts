import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { requireCitizen } from '../identity/identity.controller.ts';
import type { ClientSecretController } from './client-secret.controller.ts';
import type { InteractionController } from './interaction.controller.ts';
import type { PersonalAreaController } from './personal-area.controller.ts';
import { OP_MOUNT } from './provider.ts';

const DISCOVERY = '/.well-known/openid-configuration';

/**
 * What the gateway's layout needs on the provider's own pages (errors, logout confirmation); the form
 * token comes from the gateway's csrf.locals, mounted before.
 */
function providerPageLocals(req: Request, res: Response, next: NextFunction) {
  res.locals.citizen = req.session?.citizen;
  next();
}

/** The provider's endpoints that bodies' systems call, below OP_MOUNT (a prefix covers its sub-paths). */
const MACHINE_ENDPOINTS = ['/token', '/me', '/request'];
/** The provider's pages a browser is sent to: authorization (and its resume), RP-initiated logout. */
const BROWSER_ENDPOINTS = ['/auth', '/session/end'];

export interface ProviderLimits {
  /** The browser endpoints, per client address (the gateway's 429 page). */
  browser: RequestHandler;
  /** The machine endpoints together, per client address (OAuth error JSON). */
  endpoints: RequestHandler;
  /** The token endpoint per client address and client, besides `endpoints`. */
  token: RequestHandler;
}

/**
 * The provider's endpoints under /op, and discovery at the root (issuer = the public URL). Mounted
 * before the gateway's body parsers and CSRF check: oidc-provider parses its own bodies and protects
 * its forms itself; the session middleware runs first so the provider sees the gateway session. Rate
 * limits come first (they read the address and headers only, never the body); discovery and the JWKS
 * stay open: public, cacheable, and cheaper to serve than a Redis counter.
 */
export function ssoProviderRoutes(
  callback: RequestHandler,
  session: RequestHandler | RequestHandler[],
  limits: ProviderLimits,
): Router {
  const router = Router();
  const under = (paths: string[]) => paths.map((path) => `${OP_MOUNT}${path}`);
  router.use(under(BROWSER_ENDPOINTS), limits.browser);
  router.use(under(MACHINE_ENDPOINTS), limits.endpoints);
  router.post(`${OP_MOUNT}/token`, limits.token);
  router.use(OP_MOUNT, session, providerPageLocals, callback);
  router.get(DISCOVERY, (req, res, next) => {
    // Served as if mounted under /op, so the document names the endpoints there.
    req.originalUrl = `${OP_MOUNT}${DISCOVERY}`;
    req.url = DISCOVERY;
    return callback(req, res, next);
  });
  return router;
}

/** Interaction pages, the SSO part of the personal area's forms and export, and the client-secret API. */
export function ssoRoutes(
  controllers: {
    interactions: InteractionController;
    personalArea: PersonalAreaController;
    clientSecret: ClientSecretController;
  },
  guards: { formLimit: RequestHandler; apiLimit: RequestHandler; bodyAuthentication: RequestHandler },
): Router {
  const { interactions, personalArea, clientSecret } = controllers;
  const router = Router();
  router.get('/sso/interaction/:uid', interactions.show);
  router.post('/sso/interaction/:uid/consent', guards.formLimit, interactions.decide);
  router.post('/me/consents/:serviceId/revoke', guards.formLimit, requireCitizen, personalArea.revokeConsent);
  router.post('/me/services/end-all', guards.formLimit, requireCitizen, personalArea.endServices);
  router.get('/me/access-history.csv', requireCitizen, personalArea.historyCsv);
  router.post(
    '/editor/bodies/:ipaCode/services/:serviceId/sso/secret',
    guards.formLimit,
    requireCitizen,
    clientSecret.editorRotate,
  );
  router.post(
    '/api/v1/services/:serviceId/sso/secret',
    guards.apiLimit,
    guards.bodyAuthentication,
    clientSecret.rotate,
  );
  return router;
}
