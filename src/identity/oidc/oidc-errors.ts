import * as client from 'openid-client';
import { AppError } from '../../platform/errors.ts';

/**
 * Why an OpenID Connect login failed: HTTP status and the message group the citizen reads (locale keys
 * errors.<messageKey>). Codes are stable: logs and tests use them; none carries personal data.
 */
export const OIDC_FAILURES = {
  oidc_unknown_provider: [404, 'oidc_unknown_provider'],
  oidc_bad_request: [400, 'oidc_invalid'],
  oidc_state_unknown: [400, 'oidc_expired'],
  oidc_state_browser: [400, 'oidc_expired'],
  oidc_nonce_mismatch: [400, 'oidc_invalid'],
  oidc_response_invalid: [400, 'oidc_invalid'],
  oidc_code_invalid: [400, 'oidc_expired'],
  oidc_clock_skew: [400, 'oidc_invalid'],
  oidc_wrong_issuer: [403, 'oidc_untrusted'],
  oidc_bad_signature: [403, 'oidc_untrusted'],
  oidc_level: [403, 'oidc_level'],
  oidc_no_fiscal_code: [403, 'oidc_no_fiscal_code'],
  oidc_cancelled: [401, 'oidc_cancelled'],
  oidc_provider_error: [400, 'oidc_provider_error'],
  oidc_provider_down: [502, 'oidc_provider_down'],
  oidc_provider_timeout: [504, 'oidc_provider_down'],
} as const satisfies Record<string, readonly [number, string]>;

export type OidcFailure = keyof typeof OIDC_FAILURES;

/** The locale groups OIDC failures use (errors.<key>.title / .message), for the translations test. */
export const OIDC_MESSAGE_KEYS = [...new Set(Object.values(OIDC_FAILURES).map(([, key]) => key))];

export class OidcError extends AppError {
  readonly messageKey: string;

  constructor(code: OidcFailure, options?: { cause?: unknown }) {
    const [status, messageKey] = OIDC_FAILURES[code];
    super(status, code, undefined, options);
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
      // RFC 9207: the authorization response's `iss` is not the provider's issuer.
      return 'oidc_wrong_issuer';
    case 'OAUTH_KEY_SELECTION_FAILED':
      return 'oidc_bad_signature';
    case 'OAUTH_INVALID_RESPONSE':
      return /signature/i.test(error.message) || /signature/i.test(String((error.cause as Error)?.message))
        ? 'oidc_bad_signature'
        : 'oidc_response_invalid';
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
