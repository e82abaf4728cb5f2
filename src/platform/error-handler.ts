import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { NotFoundError, toAppError, TooManyRequestsError, type AppError } from './errors.ts';

/** Statuses with their own page text (locales, errors.<status>); others fall back to 400 or 500. */
export const ERROR_PAGES = [400, 403, 404, 405, 406, 413, 415, 429, 500, 503] as const;
const KNOWN_PAGES = new Set<number>(ERROR_PAGES);

/** Errors whose texts are specific enough to deserve their own message (locales, errors.<code>). */
export const SPECIFIC_MESSAGES = ['csrf_invalid', 'language_unknown'] as const;
const SPECIFIC = new Set<string>(SPECIFIC_MESSAGES);

const PROBLEM_TYPE = 'application/problem+json';

/**
 * RFC 9457 problem details. With type "about:blank" the title is the status phrase (section 4.2.1); the
 * stable machine code travels in the "code" extension member, the message only when it may be shown.
 */
function problem(error: AppError, req: Request) {
  return {
    type: 'about:blank',
    title: STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    code: error.code,
    ...(error.expose && error.message !== error.code ? { detail: error.message } : {}),
    instance: req.originalUrl.split('?')[0],
  };
}

/** "45 secondi", "1 minute": how long to wait, in the page's language (Intl's units carry the plural). */
export function waitText(seconds: number, language: string): string {
  const [value, unit] = seconds < 120 ? [seconds, 'second'] : [Math.ceil(seconds / 60), 'minute'];
  return new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}

/** The innermost message of an error's causes, without its stack (at most a line). */
function reasonOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause instanceof Error; depth++)
    current = current.cause;
  return current instanceof Error ? current.message.slice(0, 200) : undefined;
}

export function notFound(_req: Request, _res: Response, next: NextFunction) {
  next(new NotFoundError());
}

/**
 * Problem details under the API and for clients that prefer JSON; an HTML page otherwise, also when the
 * Accept header names nothing we have (a clear page beats an empty 406 body; RFC 9110 section 12.1
 * lets an error response disregard Accept).
 */
function chooseFormat(req: Request, apiPrefix: string): 'problem' | 'html' {
  if (req.path.startsWith(apiPrefix)) return 'problem';
  const preferred = req.accepts(['html', PROBLEM_TYPE, 'json']);
  return preferred === PROBLEM_TYPE || preferred === 'json' ? 'problem' : 'html';
}

/** The one place errors become responses. The status is always the error's own. */
export function errorHandler(apiPrefix: string) {
  const send = errorSender(apiPrefix);
  // Four parameters: Express recognises an error handler by its arity.
  return (thrown: unknown, req: Request, res: Response, _next: NextFunction) => send(thrown, req, res);
}

/**
 * The error handler's answer, callable outside the middleware chain (src/platform/redis-deadline.ts).
 */
export function errorSender(apiPrefix: string) {
  return (thrown: unknown, req: Request, res: Response) => {
    // A handler answering after another answer went out (the Redis deadline's 503): Node refuses its
    // headers (ERR_HTTP_HEADERS_SENT) and the answer already sent stands.
    if (res.headersSent && (thrown as NodeJS.ErrnoException | undefined)?.code === 'ERR_HTTP_HEADERS_SENT') {
      req.log?.debug('late answer dropped');
      return;
    }
    const error = toAppError(thrown);
    // A 503 is Redis (or a body) not serving now, logged once per outage where it is noticed: per request,
    // a warning with the reason and no stack, so an outage under load does not bury the log in stacks.
    if (error.status === 503)
      req.log?.warn({ code: error.code, reason: reasonOf(thrown) }, 'request refused: unavailable');
    else if (error.status >= 500) req.log?.error({ err: thrown, code: error.code }, 'request failed');
    else req.log?.warn({ code: error.code }, 'request rejected');
    // Failed after the answer went out (a session saved when the response ends): logged above, in the
    // JSON log; Express's own handler would print the stack to stderr. A half-sent answer is cut short.
    if (res.headersSent) {
      if (!res.writableEnded) req.socket.destroy();
      return;
    }

    const retryAfter = error instanceof TooManyRequestsError ? error.retryAfterSeconds : undefined;
    // Set just before the answer is sent: while the page renders, the handler that failed to answer in
    // time may still send its own, which must not go out with this status.
    const head = () => {
      res.status(error.status);
      if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
      if (error.status === 503) res.setHeader('Retry-After', '30');
      res.setHeader('Cache-Control', 'no-store');
      res.vary('Accept');
      return res;
    };

    const t = res.locals.t as ((key: string, options?: object) => string) | undefined;
    if (chooseFormat(req, apiPrefix) === 'problem') {
      head()
        .type(PROBLEM_TYPE)
        .send(JSON.stringify(problem(error, req)));
      return;
    }
    if (!t) {
      head().type('text/plain').send(`${error.status} ${error.code}\n`);
      return;
    }
    // The header shows who is logged in, also when the error came before the page's own locals were set.
    if (!res.locals.citizen && req.session?.citizen) res.locals.citizen = req.session.citizen;
    const page = KNOWN_PAGES.has(error.status) ? error.status : error.status < 500 ? 400 : 500;
    const key = SPECIFIC.has(error.code) ? error.code : String(page);
    const words = error.page;
    const wait = retryAfter ? waitText(retryAfter, String(res.locals.lang ?? 'it')) : undefined;
    const locals = {
      status: error.status,
      heading: words ? t(words.titleKey) : t(`errors.${key}.title`),
      message: words
        ? t(words.messageKey)
        : wait
          ? t('errors.429.messageWait', { wait })
          : t(`errors.${key}.message`),
      action: words?.action && { href: words.action.href, label: t(words.action.labelKey) },
      requestId: req.id,
    };
    res.render('errors/error', locals, (renderError: Error | null, html: string) => {
      if (renderError) req.log?.error({ err: renderError }, 'error page failed to render');
      if (!res.headersSent)
        head()
          .type(renderError ? 'text/plain' : 'html')
          .send(renderError ? `${error.status} ${error.code}\n` : html);
    });
  };
}
