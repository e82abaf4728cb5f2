import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import compression from 'compression';
import type { Gateway } from './gateway.ts';
import { IDP_LOGOS } from './identity/spid/idp-logos.ts';
import { errorHandler, errorSender, notFound } from './platform/error-handler.ts';
import { AppError, ServiceUnavailableError } from './platform/errors.ts';
import { healthRoutes } from './platform/health.ts';
import { languageMiddleware } from './platform/i18n.ts';
import { languageRoutes } from './platform/language.routes.ts';
import { requestLogging } from './platform/request-logging.ts';
import { securityHeaders } from './platform/security.ts';
import { isRedisUnavailable } from './platform/redis.ts';
import { redisDeadline } from './platform/redis-deadline.ts';
import { staticAssets } from './platform/static-assets.ts';
import { ASSETS, pageLocals, setUpViews } from './platform/views.ts';

const API_PREFIX = '/api/';
/** Paths that authenticate state changes otherwise than with a form token. */
const CSRF_EXEMPT = ['/api/', '/spid/acs', '/spid/slo', '/demo/bodies/'];

/**
 * Mounts the gateway's platform middleware and its modules' routers. `extraRoutes` are mounted after the
 * platform middleware and before the modules' pages (tests and benchmarks use it; the server passes none).
 */
export function createApp(gateway: Gateway, extraRoutes: readonly Router[] = []): Express {
  const { config, redis, web } = gateway;
  const app = express();
  app.disable('x-powered-by');
  // Pages and API answers are no-store (see securityHeaders): an ETag, a hash of every body sent, would never
  // be asked for again. Static files set their own.
  app.set('etag', false);
  app.set('trust proxy', config.http.trustProxy);
  app.set('query parser', 'simple');
  setUpViews(app, { viewsDir: 'views', cache: config.env !== 'development' });

  app.use(requestLogging(gateway.logger), web.metrics.observe);
  // Brotli or gzip for every answer the browser takes compressed (compressible types, 1 kB and more);
  // static files come precompressed (static-assets.ts) and pass through untouched. Form tokens are
  // masked per response (csrf.ts), so compressed pages do not reveal them (BREACH).
  app.use(compression({ threshold: 1024 }));
  app.use(securityHeaders({ https: web.secureCookie }));
  // Demo mode's pages link the demo mailbox, where the mail the gateway sent can be read.
  app.use(
    pageLocals({ ...config.network, demo: config.demo }, web.assets.pageAssets),
    languageMiddleware(gateway.i18n),
  );

  // Needs no Redis: probes, static files and the language switch work while Redis is away.
  app.use(
    healthRoutes(web.readiness),
    web.metrics.routes,
    staticAssets(
      [
        // The kit's stylesheet cut to what the pages use (kit-stylesheet.ts), beside the kit's own.
        { path: `${ASSETS.bootstrapItalia}/css`, dir: web.assets.stylesheetDir },
        { path: ASSETS.bootstrapItalia, dir: ASSETS.bootstrapItaliaDir },
        IDP_LOGOS,
      ],
      'public',
    ),
    languageRoutes({ secureCookie: web.secureCookie }),
  );

  // A request waiting on a Redis that has gone silent gets its 503 within the command timeout, however
  // long the client would hold it (a Sentinel failover); one arriving while Redis is down, at once.
  app.use(
    redisDeadline({
      answeredSince: (since) => redis.answeredSince(since),
      timeoutMs: config.redis.commandTimeoutMs,
      answer: errorSender(API_PREFIX),
    }),
  );
  app.use(redisGuard(() => redis.isUp()));
  app.use(web.csrf.locals);
  // Before the body parsers and CSRF: the single sign-on provider parses and protects its own requests,
  // and so do the demo body systems and the demo OpenID Provider (demo mode only).
  app.use(web.ownBodies);
  app.use(
    withBody(express.urlencoded({ extended: false, limit: config.http.bodyLimit, parameterLimit: 100 })),
  );
  app.use(API_PREFIX, withBody(express.json({ limit: config.http.bodyLimit, strict: true })));
  app.use(web.session);
  app.use(web.csrf.protection(CSRF_EXEMPT));
  app.use(gateway.loginSessions.trackActivity);
  for (const router of extraRoutes) app.use(router);
  app.use(web.pages);

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
