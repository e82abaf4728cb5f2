import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { redactFiscalCodes, requestLineWriter, type Logger } from './logger.ts';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (the caller's X-Request-Id when well formed, else a new one). */
    id: string;
    /** A logger whose lines name this request (id, method, path). */
    log: Logger;
  }
}

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;
const ROOT_LOGGER = Symbol('varco.rootLogger');
const REQUEST_LOGGER = Symbol('varco.requestLogger');

type LoggedRequest = Request & { [ROOT_LOGGER]?: Logger; [REQUEST_LOGGER]?: Logger };

/** The request's path, without the query string (it can carry personal data). */
const pathOf = (req: Request) => req.originalUrl.split('?', 1)[0] ?? '';

/** What a log line says of its request: id, method and path (any fiscal code in it masked). */
function describe(req: Request, path = pathOf(req)) {
  return { id: req.id, method: req.method, path: redactFiscalCodes(path) };
}

/** A liveness or readiness probe (src/platform/health.ts). */
const PROBES = new Set(['/health', '/ready']);

/** `req.log`: a child of the request logger naming the request, made on first use. */
function requestLogger(this: LoggedRequest): Logger {
  const root = this[ROOT_LOGGER];
  if (!root) throw new Error('req.log is there only for requests that went through requestLogging');
  return (this[REQUEST_LOGGER] ??= root.child({ req: describe(this) }));
}

/**
 * A request id for every request (the caller's X-Request-Id when well formed, else a new one), echoed in
 * the response, and one structured log line per request when its response is sent or abandoned:
 * `{ req: { id, method, path }, res: { statusCode }, responseTime }`, at error level from 500, warn from
 * 400, else info, except the probes' successful GET /health and GET /ready (a container health check, a
 * load balancer: a line every few seconds saying nothing), at debug; a failed probe is logged as any
 * other failure. Only method and path are logged, with any fiscal code in the path masked.
 *
 * Written here rather than with pino-http, which made a child logger (a serialized copy of the request)
 * for every request, used or not, and cost a fifth of a page's throughput (bench/http-pages.ts). The
 * request's own logger (`req.log`, for what a handler has to say) is made on first use, by a getter on
 * the app's request prototype: a property defined on each request would cost more than the log line.
 */
export function requestLogging(logger: Logger) {
  const writeLine = requestLineWriter(logger);
  return (req: Request, res: Response, next: NextFunction) => {
    const prototype = Object.getPrototypeOf(req) as object;
    if (!Object.hasOwn(prototype, 'log'))
      Object.defineProperty(prototype, 'log', { configurable: true, get: requestLogger });
    (req as LoggedRequest)[ROOT_LOGGER] = logger;
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const started = performance.now();
    res.once('close', () => {
      const status = res.statusCode;
      const requested = pathOf(req);
      const probe = req.method === 'GET' && PROBES.has(requested);
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : probe ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const { id, method, path } = describe(req, requested);
      const responseTime = Math.round(performance.now() - started);
      const line = { id, method, path, statusCode: status, responseTime };
      writeLine(level, line, res.writableFinished ? 'request completed' : 'request aborted');
    });
    next();
  };
}
