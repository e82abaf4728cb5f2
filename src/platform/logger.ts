import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Field names never written to logs, wherever they appear in the first three levels of a log object:
 * credentials and tokens, SAML messages, personal data. Fiscal codes in particular must never reach a
 * log line (DESIGN.md, "Security and privacy stance").
 */
const SENSITIVE_KEYS = [
  // credentials and tokens (OAuth 2.0 / OpenID Connect names as sent on the wire, and our own)
  'password',
  'secret',
  'client_secret',
  'token',
  'csrfToken',
  'access_token',
  'accessToken',
  'id_token',
  'idToken',
  'refresh_token',
  'refreshToken',
  'code_verifier',
  'authorization',
  'cookie',
  // SAML messages and their content
  'SAMLResponse',
  'SAMLRequest',
  'samlResponse',
  'samlRequest',
  'assertion',
  // personal data (SPID attribute names and OpenID Connect claims)
  'fiscalCode',
  'fiscalNumber',
  'fiscal_number',
  'spidCode',
  'email',
  'name',
  'familyName',
  'family_name',
  'given_name',
  'dateOfBirth',
  'birthdate',
];

export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
  // an OAuth authorization code, where a query or body is logged; "code" alone is our error codes' field
  'query.code',
  '*.query.code',
  'body.code',
  '*.body.code',
  ...SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

export const REDACTED = '[redacted]';

/** An Italian personal fiscal code anywhere in a text (with the omocodia digit substitutions). */
const FISCAL_CODE_IN_TEXT =
  /\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b/gi;

/** Replaces fiscal codes in free text (log messages, request paths) that field redaction cannot reach. */
export function redactFiscalCodes(text: string): string {
  return text.replace(FISCAL_CODE_IN_TEXT, REDACTED);
}

/** pino's error serializer, with fiscal codes masked in message and stack (errors often quote their input). */
export function serializeError(error: Error) {
  const serialized = pino.stdSerializers.err(error);
  serialized.message = redactFiscalCodes(serialized.message);
  if (serialized.stack) serialized.stack = redactFiscalCodes(serialized.stack);
  return serialized;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'varco' },
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactFiscalCodes(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
