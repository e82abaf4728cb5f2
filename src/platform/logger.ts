import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Field names never written to logs, wherever they appear in a log object (down to MAX_DEPTH levels):
 * credentials and tokens, SAML messages, personal data. Fiscal codes in particular must never reach a
 * log line.
 */
export const SENSITIVE_FIELDS: readonly string[] = [
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
  // HTTP headers that carry credentials
  'authorization',
  'cookie',
  'set-cookie',
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
const SENSITIVE_KEYS = new Set(SENSITIVE_FIELDS);

/** "code" is an OAuth authorization code inside a logged query or body; elsewhere it is our error codes' field. */
const AUTHORIZATION_CODE_PARENTS = new Set(['query', 'body']);

/** How deep into a log object sensitive fields are looked for (a request's headers are at depth 3). */
const MAX_DEPTH = 5;

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
  // Serialized already where it was found in the log object (see `scrub`): as it is.
  if (SERIALIZED in error) return error as unknown as ReturnType<typeof pino.stdSerializers.err>;
  const serialized = pino.stdSerializers.err(error);
  serialized.message = redactFiscalCodes(serialized.message);
  if (serialized.stack) serialized.stack = redactFiscalCodes(serialized.stack);
  return serialized;
}

/** Marks an error serialized by `scrub` (a symbol: copied with the object, never written to the line). */
const SERIALIZED = Symbol('varco.log.serializedError');

/**
 * A log object with every sensitive field's value replaced by REDACTED. Objects and arrays are walked
 * by their own enumerable keys (what JSON.stringify writes), errors in their serialized form; not walked
 * are what is not written that way or is left to a serializer: emitters and streams (a request, a
 * response), byte arrays, Maps and Sets, objects with their own toJSON. Serializers' output goes through here too (see `scrubbed`). The input is
 * never changed: what has something to hide is copied, the rest is shared, so a log line without
 * personal data allocates nothing.
 *
 * pino's own `redact` option did this with a wildcard path per field and level, and cost twenty times
 * more than writing the line itself (bench/log-redaction.ts), on every request.
 */
export function scrub<T>(value: T, depth = 0, parentKey = ''): T {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, index) => {
      const clean = scrub(item, depth + 1, parentKey);
      if (clean !== item) (copy ??= [...value])[index] = clean;
    });
    return (copy ?? value) as T;
  }
  // An error is written in its serialized form wherever it is (pino would write only its enumerable fields).
  if (value instanceof Error) {
    const serialized = { ...serializeError(value), [SERIALIZED]: true };
    return scrub(serialized as T, depth, parentKey);
  }
  if (!isWalked(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const sensitive =
      item !== undefined &&
      (SENSITIVE_KEYS.has(key) || (key === 'code' && AUTHORIZATION_CODE_PARENTS.has(parentKey)));
    const clean = sensitive ? REDACTED : scrub(item, depth + 1, key);
    if (clean !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = clean;
  }
  return (copy ?? value) as T;
}

function isWalked(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype === Object.prototype || prototype === null) return true;
  return !(
    value instanceof EventEmitter ||
    ArrayBuffer.isView(value) ||
    value instanceof Map ||
    value instanceof Set ||
    value instanceof Promise ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}

/** A serializer whose output is scrubbed like the rest of the line (serializers run after the formatters). */
export function scrubbed<I, O>(serializer: (input: I) => O): (input: I) => O {
  return (input) => scrub(serializer(input));
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: { service: 'varco' },
      formatters: { log: (object) => scrub(object) },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: scrubbed(serializeError) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactFiscalCodes(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  // A child's bindings are written once, when it is made, without the formatters: scrubbed here. The
  // children inherit this method, so theirs are too.
  const makeChild = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return makeChild.call(this, scrub(bindings), options);
  } as Logger['child'];
  return logger;
}

/**
 * Where the server writes its log: standard output (or `dest`), gathered into writes of 4 kB rather than
 * one write per line — a system call per request cost the gateway a tenth of its pages' throughput
 * (bench/http-pages.ts). A line waits at most a second (sonic-boom's periodic flush), and whatever is
 * waiting is written when the process exits, by a signal's shutdown, process.exit or an uncaught
 * error alike; only a process killed outright (SIGKILL, power loss) loses its last second of lines.
 */
export function logDestination(dest: number | string = 1): pino.DestinationStream {
  const stream = pino.destination({ dest, sync: true, minLength: 4096, periodicFlush: 1000 });
  process.once('exit', () => {
    try {
      stream.flushSync();
    } catch {
      // Closed already, or never opened: nothing is waiting.
    }
  });
  return stream;
}
