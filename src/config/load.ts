import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.ts';

/** Thrown when the configuration is unusable; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Tree = { [key: string]: Json };
type EnvParser = (raw: string) => Json;

const asString: EnvParser = (raw) => raw;
const asNumber: EnvParser = (raw) => (/^\d+$/.test(raw) ? Number(raw) : raw);
const asFloat: EnvParser = (raw) => (/^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw);
const asBoolean: EnvParser = (raw) => ({ true: true, false: false, 1: true, 0: false })[raw] ?? raw;
const asList: EnvParser = (raw) =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
// "1" is one proxy hop, not `true`: trusting every hop would take the client address from the leftmost
// X-Forwarded-For entry, which the client writes itself (and so choose its own rate-limit counter).
const asTrustProxy: EnvParser = (raw) => ({ true: true, false: false })[raw] ?? asNumber(raw);
const asHostPort: EnvParser = (raw) => {
  const colon = raw.lastIndexOf(':');
  return { host: raw.slice(0, colon), port: asNumber(raw.slice(colon + 1)) };
};
const asHostPorts: EnvParser = (raw) => (asList(raw) as string[]).map(asHostPort);

/** Demo mode only: AgID's accessibility-statement service, where a body publishes its statement. */
const DEMO_ACCESSIBILITY_STATEMENT = 'https://form.agid.gov.it/';

/** Environment variables the gateway reads: name → [path in the configuration, parser]. */
export const ENVIRONMENT: Record<string, [string, EnvParser]> = {
  NODE_ENV: ['env', asString],
  VARCO_DEMO: ['demo', asBoolean],
  NETWORK_NAME: ['network.name', asString],
  ACCESSIBILITY_STATEMENT_URL: ['network.accessibilityStatementUrl', asString],
  PRIVACY_POLICY_URL: ['network.privacyPolicyUrl', asString],
  HOST: ['http.host', asString],
  PORT: ['http.port', asNumber],
  PUBLIC_URL: ['http.publicUrl', asString],
  TRUST_PROXY: ['http.trustProxy', asTrustProxy],
  SHUTDOWN_GRACE_MS: ['http.shutdownGraceMs', asNumber],
  REDIS_URL: ['redis.url', asString],
  REDIS_SENTINEL_NAME: ['redis.sentinel.name', asString],
  REDIS_SENTINELS: ['redis.sentinel.nodes', asHostPorts],
  REDIS_SENTINEL_PASSWORD: ['redis.sentinel.password', asString],
  REDIS_CLUSTER_NODES: ['redis.cluster.nodes', asList],
  REDIS_PREFIX: ['redis.prefix', asString],
  REDIS_COMMAND_TIMEOUT_MS: ['redis.commandTimeoutMs', asNumber],
  REDIS_EMBEDDED: ['redis.embedded.enabled', asBoolean],
  REDIS_EMBEDDED_BINARY: ['redis.embedded.binary', asString],
  REDIS_EMBEDDED_DIR: ['redis.embedded.dir', asString],
  REDIS_PROBE: ['redis.embedded.probe', asHostPort],
  SESSION_SECRETS: ['session.secrets', asList],
  METRICS_TOKEN: ['stats.metricsToken', asString],
  LOG_LEVEL: ['log.level', asString],
  SPID_ENTITY_ID: ['spid.entityId', asString],
  SPID_KEY: ['spid.key', asString],
  SPID_CERT: ['spid.cert', asString],
  SPID_KEY_FILE: ['spid.keyFile', asString],
  SPID_CERT_FILE: ['spid.certFile', asString],
  SPID_IPA_CODE: ['spid.organization.ipaCode', asString],
  SPID_ORGANIZATION_NAME: ['spid.organization.name', asString],
  SPID_CONTACT_EMAIL: ['spid.organization.email', asString],
  SPID_CONTACT_PHONE: ['spid.organization.phone', asString],
  SPID_METADATA_DIR: ['spid.metadataDir', asString],
  SPID_REGISTRY_URL: ['spid.registry.url', asString],
  SPID_REGISTRY_CERT_FILE: ['spid.registry.certFile', asString],
  REGISTRY_ADMINS: ['registry.admins', asList],
  REGISTRY_ADMIN_EMAILS: ['registry.adminEmails', asList],
  SMTP_URL: ['mail.smtpUrl', asString],
  MAIL_FROM: ['mail.from', asString],
  MAIL_REPLY_TO: ['mail.replyTo', asString],
  MAIL_WORKERS: ['mail.queue.workers', asBoolean],
  CITIZEN_REFERENCE_KEY: ['citizen.referenceKey', asString],
  CITIZEN_DATA_KEYS: ['citizen.dataKeys', asList],
  PROCEDURES_SIGNING_KEY: ['procedures.signingKey', asString],
  PROCEDURES_SIGNING_KEY_FILE: ['procedures.signingKeyFile', asString],
  PROCEDURES_DELIVERY_WORKERS: ['procedures.delivery.workers', asBoolean],
  DEMO_BODY_SYSTEMS_DELAY_MS: ['procedures.demoBodySystems.delayMs', asNumber],
  DEMO_BODY_SYSTEMS_FAILURE_RATE: ['procedures.demoBodySystems.failureRate', asFloat],
  SSO_SIGNING_KEYS: ['sso.signingKeys', asString],
  SSO_SIGNING_KEYS_FILE: ['sso.signingKeysFiles', asList],
  SSO_PAIRWISE_SALT: ['sso.pairwiseSalt', asString],
};

/**
 * The OIDC_* variables, which OpenID Connect provider descriptors (providers/oidc/*.yaml) refer to by name
 * for client ids, secrets and key files: read here, so the configuration stays the only reader of the environment.
 */
function oidcEnvironment(env: NodeJS.ProcessEnv): Tree {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        /^OIDC_[A-Z0-9_]+$/.test(entry[0]) && typeof entry[1] === 'string',
    ),
  );
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? merge(current, value) : value;
  }
  return out;
}

function setPath(tree: Tree, dotted: string, value: Json): Tree {
  const [head, ...rest] = dotted.split('.') as [string, ...string[]];
  if (rest.length === 0) return { ...tree, [head]: value };
  const child = tree[head];
  return { ...tree, [head]: setPath(isTree(child) ? child : {}, rest.join('.'), value) };
}

function readFileTree(file: string, problems: string[]): Tree {
  if (!existsSync(file)) return {};
  try {
    const parsed: unknown = file.endsWith('.json')
      ? JSON.parse(readFileSync(file, 'utf8'))
      : parseYaml(readFileSync(file, 'utf8'));
    if (parsed === null || parsed === undefined) return {};
    if (isTree(parsed)) return parsed;
    problems.push(`${file}: the top level must be a mapping`);
  } catch (error) {
    problems.push(`${file}: ${(error as Error).message}`);
  }
  return {};
}

function environmentTree(env: NodeJS.ProcessEnv): Tree {
  let tree: Tree = {};
  for (const [name, [dotted, parse]] of Object.entries(ENVIRONMENT)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') tree = setPath(tree, dotted, parse(raw));
  }
  return tree;
}

/**
 * Outside production a session secret is generated once and kept under var/ (never in the repo),
 * so that restarts and several local instances share it.
 */
function localDevelopmentSecret(dir: string): string {
  const file = path.join(dir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

const at = (tree: Tree, dotted: string): Json | undefined =>
  dotted.split('.').reduce<Json | undefined>((node, key) => (isTree(node) ? node[key] : undefined), tree);

/**
 * What production refuses to start without. Checked on the merged settings before the schema, so that
 * these problems are listed together with the schema's own.
 */
function productionProblems(tree: Tree): string[] {
  const problems: string[] = [];
  if (at(tree, 'demo') !== false) problems.push('demo mode cannot run in production: set VARCO_DEMO=false');
  if (!at(tree, 'redis.url') && !at(tree, 'redis.sentinel') && !at(tree, 'redis.cluster'))
    problems.push('production needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES');
  const publicUrl = at(tree, 'http.publicUrl');
  const trustProxy = at(tree, 'http.trustProxy') ?? false;
  if (typeof publicUrl !== 'string' || !publicUrl.startsWith('https://'))
    problems.push('production needs an https:// PUBLIC_URL');
  // The gateway speaks plain HTTP behind a TLS-terminating proxy; express-session sends a Secure cookie
  // only when the request is known to be https, i.e. when the proxy's X-Forwarded-Proto is trusted.
  else if (trustProxy === false || trustProxy === 0)
    problems.push(
      'an https:// PUBLIC_URL needs TRUST_PROXY (the TLS-terminating proxy), or no session cookie is ever sent',
    );
  // Italian public bodies must link their accessibility statement (Legge 4/2004, art. 3-quater; AgID
  // guidelines) and their privacy notice (GDPR art. 13) from every page.
  if (!at(tree, 'network.accessibilityStatementUrl'))
    problems.push('production needs ACCESSIBILITY_STATEMENT_URL (the AgID accessibility statement)');
  if (!at(tree, 'network.privacyPolicyUrl')) problems.push('production needs PRIVACY_POLICY_URL');
  // Bodies learn the outcome of their membership and receive their API credential by mail only.
  for (const [dotted, name] of [
    ['mail.smtpUrl', 'SMTP_URL'],
    ['mail.from', 'MAIL_FROM'],
    ['mail.replyTo', 'MAIL_REPLY_TO'],
  ] as const)
    if (!at(tree, dotted)) problems.push(`production needs ${name}`);
  const adminEmails = at(tree, 'registry.adminEmails');
  if (!Array.isArray(adminEmails) || adminEmails.length === 0)
    problems.push(
      'production needs REGISTRY_ADMIN_EMAILS (where new membership requests and dead letters go)',
    );
  const hasKey = Boolean(at(tree, 'spid.key') || at(tree, 'spid.keyFile'));
  const hasCert = Boolean(at(tree, 'spid.cert') || at(tree, 'spid.certFile'));
  if (!hasKey || !hasCert)
    problems.push(
      'production needs the SPID signing key: SPID_KEY_FILE and SPID_CERT_FILE (or SPID_KEY and SPID_CERT)',
    );
  return problems;
}

const DEFAULT_LOCAL_URL = 'http://localhost:3000';

/** "http.port: …" becomes "http.port (PORT): …" when the value came from an environment variable. */
function describePath(issuePath: string, env: NodeJS.ProcessEnv): string {
  const source = Object.entries(ENVIRONMENT).find(
    ([name, [dotted]]) => env[name] && (issuePath === dotted || issuePath.startsWith(`${dotted}.`)),
  );
  return source ? `${issuePath} (${source[0]})` : issuePath || '(root)';
}

export interface LoadOptions {
  /** Folder holding default.yaml and <env>.yaml. */
  configDir?: string;
  /** Folder for local state (development secret, embedded Redis data). */
  varDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Applied last; used by tests and tools. */
  overrides?: Record<string, unknown>;
}

/** Reads config/default.yaml, config/<env>.yaml, VARCO_CONFIG, the environment and overrides, in that order. */
export function loadConfig(options: LoadOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? 'config';
  const problems: string[] = [];
  const fromEnv = environmentTree(env);
  const name = (options.overrides?.env ?? fromEnv.env ?? 'development') as string;

  let tree: Tree = { env: name };
  tree = merge(tree, readFileTree(path.join(configDir, 'default.yaml'), problems));
  tree = merge(tree, readFileTree(path.join(configDir, `${name}.yaml`), problems));
  if (env.VARCO_CONFIG) tree = merge(tree, readFileTree(env.VARCO_CONFIG, problems));
  tree = merge(tree, fromEnv);
  tree = merge(tree, { oidc: { environment: oidcEnvironment(env) } });
  tree = merge(tree, (options.overrides ?? {}) as Tree);
  if (tree.demo === undefined) tree.demo = name !== 'production';
  // `PORT=8080 npm start` on a developer's machine: links, the SPID ACS and OpenID callbacks follow the
  // port unless a public address was chosen (production always chooses one).
  const port = at(tree, 'http.port');
  if (
    name !== 'production' &&
    at(tree, 'http.publicUrl') === DEFAULT_LOCAL_URL &&
    typeof port === 'number' &&
    port !== 3000
  ) {
    tree = setPath(tree, 'http.publicUrl', `http://localhost:${port}`);
  }
  if (tree.demo === true && !at(tree, 'network.accessibilityStatementUrl')) {
    tree = setPath(tree, 'network.accessibilityStatementUrl', DEMO_ACCESSIBILITY_STATEMENT);
  }

  const session = isTree(tree.session) ? tree.session : {};
  const secrets = Array.isArray(session.secrets) ? session.secrets : [];
  if (secrets.length === 0 && name !== 'production') {
    tree = setPath(tree, 'session.secrets', [localDevelopmentSecret(options.varDir ?? 'var')]);
  }

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${describePath(issue.path.join('.'), env)}: ${issue.message}`);
    }
  }
  if (name === 'production') problems.push(...productionProblems(tree));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return deepFreeze(parsed.data);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
