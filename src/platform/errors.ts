/**
 * The words of an error that deserves more than its status page (a refused login, say): locale keys
 * of the heading and the message, and where the citizen can go next.
 */
export interface ErrorPage {
  readonly titleKey: string;
  readonly messageKey: string;
  readonly action?: { readonly href: string; readonly labelKey: string };
}

/**
 * Errors the gateway raises on purpose. Each carries an HTTP status, a stable machine code and whether
 * its message may be shown to the user (`expose`, true below 500). One handler renders them all.
 */
export class AppError extends Error {
  readonly expose: boolean;
  readonly page: ErrorPage | undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message?: string,
    options?: { cause?: unknown; page?: ErrorPage },
  ) {
    super(message ?? code, options);
    this.name = new.target.name;
    this.expose = status < 500;
    this.page = options?.page;
  }
}

export class BadRequestError extends AppError {
  constructor(code = 'bad_request', message?: string) {
    super(400, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(code = 'forbidden', message?: string) {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(code = 'not_found', message?: string) {
    super(404, code, message);
  }
}

export class NotAcceptableError extends AppError {
  constructor() {
    super(406, 'not_acceptable');
  }
}

export class TooManyRequestsError extends AppError {
  constructor(readonly retryAfterSeconds?: number) {
    super(429, 'too_many_requests');
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(code = 'service_unavailable', options?: { cause?: unknown }) {
    super(503, code, undefined, options);
  }
}

/** Errors thrown by other libraries that carry an HTTP status (body-parser, http-errors, send). */
interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
}

const LIBRARY_CODES: Record<number, string> = {
  400: 'bad_request',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'headers_too_large',
  503: 'service_unavailable',
};

/** Normalises anything thrown into an AppError; unknown errors become a 500 that exposes nothing. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const like = (typeof error === 'object' && error !== null ? error : {}) as HttpLikeError;
  const status = Number(like.status ?? like.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 600) {
    const code = LIBRARY_CODES[status] ?? (status < 500 ? 'bad_request' : 'internal_error');
    return new AppError(status, code, undefined, { cause: error });
  }
  return new AppError(500, 'internal_error', undefined, { cause: error });
}
