import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProceduresConfig } from './procedures.config.ts';

/** A key of the procedures' configuration is missing or unusable; stops the start. */
export class ProcedureKeyError extends Error {
  constructor(message: string) {
    super(`procedures: ${message}`);
    this.name = 'ProcedureKeyError';
  }
}

export interface DataKey {
  id: string;
  key: Buffer;
}

/** Written whole or not at all, so two instances starting together never read half a key. */
function writeOnce(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  renameSync(temporary, file);
}

function parseDataKey(entry: string): DataKey {
  const colon = entry.indexOf(':');
  const key = Buffer.from(entry.slice(colon + 1), 'base64');
  if (key.length !== 32) throw new ProcedureKeyError(`data key "${entry.slice(0, colon)}" is not 32 bytes`);
  return { id: entry.slice(0, colon), key };
}

/**
 * The keys that encrypt personal data of cases, newest first. From configuration (PROCEDURES_DATA_KEYS);
 * outside production, when none is configured, one generated once under varDir.
 */
export function loadDataKeys(config: ProceduresConfig, env: string): DataKey[] {
  let entries = config.dataKeys;
  if (entries.length === 0) {
    if (env === 'production') throw new ProcedureKeyError('production needs PROCEDURES_DATA_KEYS');
    const file = path.join(config.varDir, 'data-keys');
    if (!existsSync(file)) writeOnce(file, `k1:${randomBytes(32).toString('base64')}\n`);
    entries = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  }
  const keys = entries.map(parseDataKey);
  const ids = keys.map((k) => k.id);
  if (new Set(ids).size !== ids.length) throw new ProcedureKeyError('two data keys share an id');
  return keys;
}

/**
 * The key of the citizens' references (see citizen-ref.ts). From configuration (PROCEDURES_INDEX_KEY);
 * outside production, when none is configured, one generated once under varDir.
 */
export function loadIndexKey(config: ProceduresConfig, env: string): Buffer {
  let encoded = config.indexKey;
  if (!encoded) {
    if (env === 'production') throw new ProcedureKeyError('production needs PROCEDURES_INDEX_KEY');
    const file = path.join(config.varDir, 'index-key');
    if (!existsSync(file)) writeOnce(file, `${randomBytes(32).toString('base64')}\n`);
    encoded = readFileSync(file, 'utf8').trim();
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new ProcedureKeyError('the index key is not 32 bytes');
  return key;
}

/**
 * The ES256 private key (PKCS#8 PEM) that signs deliveries. From configuration; outside production,
 * when none is configured, one generated once under varDir.
 */
export function loadSigningKey(config: ProceduresConfig, env: string): string {
  const pem =
    config.signingKey ?? (config.signingKeyFile ? readFileSync(config.signingKeyFile, 'utf8') : undefined);
  if (pem) {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new ProcedureKeyError('the delivery signing key must be an EC P-256 key (ES256)');
    return pem;
  }
  if (env === 'production') throw new ProcedureKeyError('production needs PROCEDURES_SIGNING_KEY_FILE');
  const file = path.join(config.varDir, 'delivery-signing-key.pem');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeOnce(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  return readFileSync(file, 'utf8');
}
