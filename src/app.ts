import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { homeRoutes } from './catalog/home.routes.ts';
import type { Dependencies } from './dependencies.ts';
import { createIdentityController } from './identity/identity.controller.ts';
import { identityRoutes } from './identity/identity.routes.ts';
import { oidcRouters } from './identity/oidc/oidc.module.ts';
import { IDP_LOGOS } from './identity/spid/idp-logos.ts';
import { spidRouters } from './identity/spid/spid.module.ts';
import { createCsrf } from './platform/csrf.ts';
import { errorHandler, notFound } from './platform/error-handler.ts';
import { AppError, ServiceUnavailableError } from './platform/errors.ts';
import { healthRoutes } from './platform/health.ts';
import { proceduresRouters } from './procedures/procedures.module.ts';
import { languageMiddleware } from './platform/i18n.ts';
import { languageRoutes } from './platform/language.routes.ts';
import { requestLogging } from './platform/request-logging.ts';
import { securityHeaders } from './platform/security.ts';
import { isRedisUnavailable } from './platform/redis.ts';
import { sessionMiddleware } from './platform/sessions.ts';
import { staticAssets } from './platform/static-assets.ts';
import { ASSETS, pageLocals, setUpViews } from './platform/views.ts';
import { registryRouters } from './registry/registry.module.ts';
import { ssoRouters } from './sso/sso.module.ts';

const API_PREFIX = '/api/';
/** Paths that authenticate state changes otherwise than with a form token. */
const CSRF_EXEMPT = ['/api/', '/spid/acs', '/spid/slo', '/demo/bodies/'];

/**
 * Assembles the gateway. `extraRoutes` are mounted after the platform middleware and before the
 * feature routes (tests and benchmarks use it; the server passes none).
 */
export function createApp(deps: Dependencies, extraRoutes: readonly Router[] = []): Express {
  const { config, redis } = deps;
  const secureCookie = config.http.publicUrl.startsWith('https://');
  const app = express();
  app.disable('x-powered-by');
  // Pages and API answers are no-store (see securityHeaders): an ETag, a hash of every body sent, would never
  // be asked for again. Static files set their own.
  app.set('etag', false);
  app.set('trust proxy', config.http.trustProxy);
  app.set('query parser', 'simple');
  setUpViews(app, { viewsDir: 'views', cache: config.env !== 'development' });

  app.use(requestLogging(deps.logger));
  app.use(securityHeaders({ https: secureCookie }));
  app.use(pageLocals(config.network), languageMiddleware(deps.i18n));

  // Needs no Redis: probes, static files and the language switch work while Redis is away.
  app.use(
    healthRoutes(deps.readiness),
    staticAssets([{ path: ASSETS.bootstrapItalia, dir: ASSETS.bootstrapItaliaDir }, IDP_LOGOS], 'public'),
    languageRoutes({ secureCookie }),
  );

  app.use(redisGuard(() => redis.isUp()));
  const session = sessionMiddleware(
    deps.sessionStore,
    { ...config.session, secureCookie },
    deps.rateLimits.newSessions,
  );
  const csrf = createCsrf({ secrets: config.session.secrets, secureCookie });
  app.use(csrf.locals);
  const sso = ssoRouters(deps, session);
  const oidc = oidcRouters(deps.oidc, {
    loginSessions: deps.loginSessions,
    loginLimits: deps.rateLimits.login,
  });
  // Before the body parsers and CSRF: the provider parses and protects its own, and so do the demo
  // body systems and the demo OpenID Provider (demo mode only).
  app.use(sso.provider, ...sso.demo, ...oidc.provider);
  app.use(
    withBody(express.urlencoded({ extended: false, limit: config.http.bodyLimit, parameterLimit: 100 })),
  );
  app.use(API_PREFIX, withBody(express.json({ limit: config.http.bodyLimit, strict: true })));
  app.use(session);
  app.use(csrf.protection(CSRF_EXEMPT));
  app.use(deps.loginSessions.trackActivity);
  for (const router of extraRoutes) app.use(router);

  // The feature routers.
  const procedures = proceduresRouters(deps);
  const features: Router[] = [
    sso.pages,
    ...procedures.routers,
    homeRoutes(deps, [procedures.homeLocals]),
    ...registryRouters(deps),
    ...spidRouters(deps.spid, { loginSessions: deps.loginSessions, loginLimits: deps.rateLimits.login }),
    ...oidc.pages,
    identityRoutes(
      createIdentityController({
        ...deps,
        loginOptions: () => deps.loginOptions,
        personalAreaSections: [sso.personalAreaSection, procedures.personalAreaSection],
      }),
      deps.rateLimits.forms,
    ),
  ];
  app.use(features);

  app.use(notFound);
  app.use(redisFailuresAsUnavailable(() => redis.isUp()));
  app.use(errorHandler(API_PREFIX));
  return app;
}

/**
 * A body parser entered only by requests that carry a body (a Content-Length or Transfer-Encoding,
 * RFC 9110 §6.4.1: body-parser's own test), not by the page views, for which it did nothing but cost
 * more than the request log.
 */
function withBody(parser: RequestHandler): RequestHandler {
  return (req, res, next) =>
    req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined
      ? next()
      : parser(req, res, next);
}

/** While Redis is unreachable every page that needs it answers 503 at once (and recovers by itself). */
function redisGuard(isUp: () => boolean) {
  return (_req: Request, _res: Response, next: NextFunction) => {
    next(isUp() ? undefined : new ServiceUnavailableError('redis_unavailable'));
  };
}

/**
 * A request whose Redis command failed because Redis cannot serve now (connection lost, command timed
 * out, an error reply such as OOM, READONLY or CLUSTERDOWN: see isRedisUnavailable) gets the same 503.
 * So does any error met while the connection is down: the commands pending when the stall watch drops
 * a connection fail with whatever the client throws (src/platform/redis.ts, watchForStalls).
 */
function redisFailuresAsUnavailable(isUp: () => boolean) {
  return (error: unknown, _req: Request, _res: Response, next: NextFunction) => {
    const unavailable = !(error instanceof AppError) && (isRedisUnavailable(error) || !isUp());
    next(unavailable ? new ServiceUnavailableError('redis_unavailable', { cause: error }) : error);
  };
}
