import type { NextFunction, Request, Response } from 'express';
import { ServiceUnavailableError } from './errors.ts';

export interface RedisDeadlineOptions {
  /** Whether Redis answered anything sent at or after `since` (RedisConnection.answeredSince). */
  answeredSince(since: number): boolean;
  /** `redis.commandTimeoutMs`: how long a request may wait on a silent Redis. */
  timeoutMs: number;
  /** Sends the 503 (the error handler). */
  answer(error: ServiceUnavailableError, req: Request, res: Response): void;
}

/**
 * The Sentinel client holds a command whose master died until the sentinels promote another, however
 * long that takes, and no option of node-redis bounds that wait (its per-command `timeout` and
 * `abortSignal` only cover commands not yet written). So the request is bounded instead: one still
 * unanswered `timeoutMs` after it began, at a moment when Redis has answered nothing sent in the last
 * `timeoutMs`, is answered 503 then. A request slow for another reason (an outbound call) while Redis
 * answers is left alone, looked at again every `timeoutMs / 5`.
 *
 * The handler that was waiting may still go on when Redis answers late: its page is not rendered
 * (renderPage, src/platform/views.ts), and a redirect or JSON it then sends throws Node's
 * ERR_HTTP_HEADERS_SENT into the error handler, which drops it; the 503 stands.
 */
export function redisDeadline(options: RedisDeadlineOptions) {
  const { answeredSince, timeoutMs, answer } = options;
  const recheckMs = Math.max(20, Math.floor(timeoutMs / 5));
  return (req: Request, res: Response, next: NextFunction) => {
    const startedAt = Date.now();
    let timer: NodeJS.Timeout;
    const served = () => answeredSince(Math.max(startedAt, Date.now() - timeoutMs));
    const check = () => {
      if (res.headersSent) return;
      if (served()) {
        timer = setTimeout(check, recheckMs);
        return;
      }
      // Timers run before the replies already received are read: after a busy spell the probe's answer
      // may be waiting in the socket. Decide once those are read (setImmediate comes after them).
      setImmediate(confirm);
    };
    const confirm = () => {
      if (res.headersSent) return;
      if (served()) {
        timer = setTimeout(check, recheckMs);
        return;
      }
      // express-session saves or touches the session when the response ends, through the same silent
      // Redis, which would hold this answer too: without an id (express-session's documented
      // `req.sessionID`) it leaves the store alone, as src/platform/sessions.ts does when a read fails.
      (req as { sessionID?: string }).sessionID = undefined;
      const silent = new Error(`redis answered nothing for ${timeoutMs} ms`);
      answer(new ServiceUnavailableError('redis_unavailable', { cause: silent }), req, res);
    };
    timer = setTimeout(check, timeoutMs);
    res.once('close', () => clearTimeout(timer));
    next();
  };
}
