import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { redactFiscalCodes, type Logger } from './logger.ts';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (the caller's X-Request-Id when well formed, else a new one). */
    id: string;
    /** A logger whose lines name this request (id, method, path). */
    log: Logger;
  }
}

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** What a log line says of its request: id, method and path (no query string: it can carry personal data). */
function describe(req: Request) {
  return { id: req.id, method: req.method, path: redactFiscalCodes(req.originalUrl.split('?')[0] ?? '') };
}

/**
 * A request id for every request (the caller's X-Request-Id when well formed, else a new one), echoed in
 * the response, and one structured log line per request when its response is sent or abandoned:
 * `{ req: { id, method, path }, res: { statusCode }, responseTime }`, at error level from 500, warn from
 * 400, else info. Only method and path are logged, with any fiscal code in the path masked.
 *
 * Written here rather than with pino-http, which made a child logger (a serialized copy of the request)
 * for every request, used or not, and cost a fifth of a page's throughput (bench/http-pages.ts): the
 * request's own logger (`req.log`, for what a handler has to say) is made on first use.
 */
export function requestLogging(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    let requestLogger: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      get: () => (requestLogger ??= logger.child({ req: describe(req) })),
    });
    const started = performance.now();
    res.once('close', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        req: describe(req),
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - started),
      };
      logger[level](line, res.writableFinished ? 'request completed' : 'request aborted');
    });
    next();
  };
}
