import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { pinoHttp } from 'pino-http';
import { redactFiscalCodes, type Logger } from './logger.ts';

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** The request's path, without the query string (it can carry personal data). */
const pathOf = (req: IncomingMessage) => (req as Request).originalUrl.split('?', 1)[0] ?? '';

/** A liveness or readiness probe (src/platform/health.ts). */
const PROBES = new Set(['/health', '/ready']);

/** The caller's X-Request-Id when well formed, else a new one; echoed in the response. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** Error from 500, warn from 400, else info; the probes' successful GETs at debug. */
function levelOf(req: IncomingMessage, res: ServerResponse) {
  if (res.statusCode >= 500) return 'error';
  if (res.statusCode >= 400) return 'warn';
  return req.method === 'GET' && PROBES.has(pathOf(req)) ? 'debug' : 'info';
}

const messageOf = (_req: IncomingMessage, res: ServerResponse) =>
  res.writableEnded ? 'request completed' : 'request aborted';

/**
 * A request id for every request, and one log line per request when its response is sent or abandoned,
 * by pino-http (pino's own request logger): `{ req: { id, method, path }, res: { statusCode },
 * responseTime }`, at the level `levelOf` gives. The probes (a container health check, a load balancer)
 * would otherwise write a line every few seconds saying nothing; a failed probe is logged as any other
 * failure. Only method and path are logged, with any fiscal code in the path masked. `req.log` is the
 * request's own logger, its lines naming the request the same way.
 */
export function requestLogging(logger: Logger): RequestHandler {
  const logRequests = pinoHttp({
    logger,
    genReqId: requestId,
    wrapSerializers: false,
    serializers: {
      req: (req: Request) => ({ id: req.id, method: req.method, path: redactFiscalCodes(pathOf(req)) }),
      res: (res: Response) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: levelOf,
    customSuccessMessage: messageOf,
    customErrorMessage: messageOf,
    // A 5xx is logged with its cause by the error handler; this line says only that it was answered.
    customErrorObject: (_req, _res, _error, { err: _err, ...line }: Record<string, unknown>) => line,
  });
  return logRequests;
}
