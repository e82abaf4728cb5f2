import * as client from 'openid-client';
import { AppError } from '../../platform/errors.ts';

/**
 * Why an OpenID Connect login failed: HTTP status and the message the citizen reads (locale key
 * oidc.errors.<message>). Codes are stable: logs and tests use them; none carries personal data.
 */
export const OIDC_FAILURES = {
  oidc_unknown_provider: [404, 'unknownProvider'],
  oidc_bad_request: [400, 'invalid'],
  oidc_state_unknown: [400, 'expired'],
  oidc_state_browser: [400, 'expired'],
  oidc_nonce_mismatch: [400, 'invalid'],
  oidc_response_invalid: [400, 'invalid'],
  oidc_code_invalid: [400, 'expired'],
  oidc_clock_skew: [400, 'clockSkew'],
  oidc_wrong_issuer: [403, 'untrusted'],
  oidc_bad_signature: [403, 'untrusted'],
  oidc_level: [403, 'level'],
  oidc_no_fiscal_code: [403, 'noFiscalCode'],
  oidc_cancelled: [401, 'cancelled'],
  oidc_provider_error: [400, 'providerError'],
  oidc_provider_down: [502, 'providerDown'],
  oidc_provider_timeout: [504, 'providerDown'],
} as const satisfies Record<string, readonly [number, string]>;

export type OidcFailure = keyof typeof OIDC_FAILURES;

/** The messages OIDC failures use (oidc.errors.<key>), for the translations test. */
export const OIDC_MESSAGE_KEYS = [...new Set(Object.values(OIDC_FAILURES).map(([, key]) => key))];

/** A refused or failed OpenID Connect login: its own page (what happened, "try again"), never a session. */
export class OidcError extends AppError {
  readonly messageKey: string;

  constructor(code: OidcFailure, options?: { cause?: unknown }) {
    const [status, messageKey] = OIDC_FAILURES[code];
    super(status, code, undefined, {
      ...options,
      page: {
        titleKey: code === 'oidc_cancelled' ? 'oidc.errors.cancelledTitle' : 'oidc.errors.title',
        messageKey: `oidc.errors.${messageKey}`,
        action: { href: '/login?retry=1', labelKey: 'oidc.errors.tryAgain' },
      },
    });
    this.messageKey = messageKey;
  }
}

/** Authorization error responses (RFC 6749 4.1.2.1; OIDC Core 3.1.2.6) that mean the person stopped. */
const CANCELLED = new Set(['access_denied', 'login_required', 'consent_required', 'interaction_required']);
const PROVIDER_TROUBLE = new Set(['server_error', 'temporarily_unavailable']);

/** Network failures of fetch (undici): the provider could not be reached at all. */
function isNetworkFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'fetch failed';
}

/** The id_token claim a failed comparison was about (oauth4webapi puts it in the error's cause). */
function comparedClaim(error: client.ClientError): unknown {
  const cause = error.cause as { cause?: { claim?: unknown } } | undefined;
  return cause?.cause?.claim;
}

const CLAIM_FAILURES: Record<string, OidcFailure> = {
  nonce: 'oidc_nonce_mismatch',
  iss: 'oidc_wrong_issuer',
  aud: 'oidc_wrong_issuer',
  azp: 'oidc_wrong_issuer',
};

/**
 * oauth4webapi reports these under one code; its message tells which check failed. RFC 9207: an
 * authorization response whose `iss` is not the provider's (a mix-up) is refused as untrusted.
 */
function invalidResponse(message: string): OidcFailure {
  if (/signature/i.test(message)) return 'oidc_bad_signature';
  if (/"iss"/.test(message)) return 'oidc_wrong_issuer';
  return 'oidc_response_invalid';
}

function fromClientError(error: client.ClientError): OidcFailure {
  switch (error.code) {
    case 'OAUTH_TIMEOUT':
    case 'OAUTH_ABORT':
      return 'oidc_provider_timeout';
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
    case 'OAUTH_RESPONSE_IS_NOT_JSON':
      return 'oidc_provider_down';
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
      return 'oidc_clock_skew';
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      return CLAIM_FAILURES[String(comparedClaim(error))] ?? 'oidc_response_invalid';
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      // A document from the provider names another issuer (OIDC Discovery 4.3: discovery's `issuer`).
      return 'oidc_wrong_issuer';
    case 'OAUTH_KEY_SELECTION_FAILED':
      return 'oidc_bad_signature';
    case 'OAUTH_INVALID_RESPONSE':
      return invalidResponse(`${error.message} ${String((error.cause as Error | undefined)?.message)}`);
    default:
      return isNetworkFailure(error.cause) ? 'oidc_provider_down' : 'oidc_response_invalid';
  }
}

/**
 * Turns whatever openid-client threw while finishing a login into an OidcError. Unknown failures are a
 * refused response (4xx), never a session.
 */
export function classifyLoginFailure(error: unknown): OidcError {
  if (error instanceof OidcError) return error;
  let code: OidcFailure;
  if (error instanceof client.AuthorizationResponseError) {
    code = CANCELLED.has(error.error)
      ? 'oidc_cancelled'
      : PROVIDER_TROUBLE.has(error.error)
        ? 'oidc_provider_down'
        : 'oidc_provider_error';
  } else if (error instanceof client.ResponseBodyError) {
    code =
      error.error === 'invalid_grant'
        ? 'oidc_code_invalid'
        : error.status >= 500
          ? 'oidc_provider_down'
          : 'oidc_provider_error';
  } else if (error instanceof client.ClientError) {
    code = fromClientError(error);
  } else if (isNetworkFailure(error)) {
    code = 'oidc_provider_down';
  } else {
    code = 'oidc_response_invalid';
  }
  return new OidcError(code, { cause: error });
}
