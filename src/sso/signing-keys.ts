import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';

/** Thrown at start when the provider's signing keys are missing or unusable. */
export class SigningKeysError extends Error {
  constructor(message: string) {
    super(`SSO signing keys: ${message}`);
    this.name = 'SigningKeysError';
  }
}

export type PrivateJwk = JsonWebKey & { kid: string; kty: string; alg?: string; use?: string };

/** RFC 7638 JWK thumbprint: the key id when the key has none. */
function thumbprint(jwk: JsonWebKey): string {
  const members: Record<string, string[]> = {
    RSA: ['e', 'kty', 'n'],
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
  };
  const names = members[String(jwk.kty)];
  if (!names) throw new SigningKeysError(`unsupported key type ${String(jwk.kty)}`);
  const canonical = JSON.stringify(
    Object.fromEntries(names.map((n) => [n, (jwk as Record<string, unknown>)[n]])),
  );
  return createHash('sha256').update(canonical).digest('base64url');
}

function normalise(jwk: JsonWebKey): PrivateJwk {
  if (!jwk.d) throw new SigningKeysError('every signing key must be a private key');
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP')
    throw new SigningKeysError(`unsupported key type ${String(jwk.kty)}`);
  return {
    ...jwk,
    kty: jwk.kty,
    kid: typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : thumbprint(jwk),
    use: 'sig',
  };
}

function parseJwks(text: string, origin: string): PrivateJwk[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SigningKeysError(`${origin} is not JSON`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new SigningKeysError(`${origin} holds no "keys"`);
  return keys.map((key) => normalise(key as JsonWebKey));
}

function readKeyFile(file: string): PrivateJwk[] {
  if (!existsSync(file)) throw new SigningKeysError(`${file} does not exist`);
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('{')) return parseJwks(text, file);
  try {
    return [normalise(createPrivateKey(text).export({ format: 'jwk' }))];
  } catch (error) {
    if (error instanceof SigningKeysError) throw error;
    throw new SigningKeysError(`${file} is neither a JWK Set nor a PEM private key`);
  }
}

/** Development and demo: one RSA key generated on first start and kept under var/sso (never committed). */
function localDevelopmentKey(dir: string): PrivateJwk[] {
  const file = path.join(dir, 'signing-keys.json');
  if (existsSync(file)) return parseJwks(readFileSync(file, 'utf8'), file);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = normalise(privateKey.export({ format: 'jwk' }));
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
  return [jwk];
}

/**
 * The provider's signing keys, in order: the first signs, the others are still published in the JWKS
 * so tokens signed before a rollover keep verifying (docs/sso.md, "Keys and rollover"). Production refuses
 * to start without configured keys.
 */
export function loadSigningKeys(config: Pick<Config, 'env' | 'sso'>): PrivateJwk[] {
  const { signingKeys, signingKeysFiles, varDir } = config.sso;
  const keys = [
    ...(signingKeys ? parseJwks(signingKeys, 'SSO_SIGNING_KEYS') : []),
    ...signingKeysFiles.flatMap(readKeyFile),
  ];
  if (keys.length > 0) {
    if (new Set(keys.map((k) => k.kid)).size !== keys.length)
      throw new SigningKeysError('two keys share a kid');
    return keys;
  }
  if (config.env === 'production')
    throw new SigningKeysError('production needs SSO_SIGNING_KEYS or SSO_SIGNING_KEYS_FILE');
  return localDevelopmentKey(varDir);
}

/** The pairwise salt: configured (required in production), else generated once under var/sso. */
export function loadPairwiseSalt(config: Pick<Config, 'env' | 'sso'>): string {
  if (config.sso.pairwiseSalt) return config.sso.pairwiseSalt;
  if (config.env === 'production') throw new SigningKeysError('production needs SSO_PAIRWISE_SALT');
  const file = path.join(config.sso.varDir, 'pairwise-salt');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.sso.varDir, { recursive: true });
  const salt = randomBytes(32).toString('base64url');
  writeFileSync(file, salt, { mode: 0o600 });
  return salt;
}
