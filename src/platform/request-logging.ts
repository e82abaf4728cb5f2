import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import { redactFiscalCodes, scrubbed, serializeError, type Logger } from './logger.ts';

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * A request id for every request (the caller's X-Request-Id when well formed, else a new one), echoed in
 * the response, and one structured log line per request. Only method and path are logged (query strings
 * can carry personal data or SAML messages), with any fiscal code in the path masked.
 */
export function requestLogging(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: scrubbed((req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: redactFiscalCodes(req.url.split('?')[0] ?? ''),
      })),
      res: scrubbed((res: { statusCode: number }) => ({ statusCode: res.statusCode })),
      err: scrubbed(serializeError),
    },
  });
}
