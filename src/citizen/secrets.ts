import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeAtomically } from '../platform/key-files.ts';
import type { CitizenConfig } from './citizen.config.ts';

/** A citizen key of the configuration is missing or unusable; stops the start. */
export class CitizenKeyError extends Error {
  constructor(message: string) {
    super(`citizen: ${message}`);
    this.name = 'CitizenKeyError';
  }
}

export interface DataKey {
  id: string;
  key: Buffer;
}

/** Outside production, a key configured nowhere is generated once under varDir and read back. */
function generatedOnce(config: CitizenConfig, name: string, content: () => string): string {
  const file = path.join(config.varDir, name);
  if (!existsSync(file)) writeAtomically(file, content());
  return readFileSync(file, 'utf8');
}

function parseDataKey(entry: string): DataKey {
  const colon = entry.indexOf(':');
  const key = Buffer.from(entry.slice(colon + 1), 'base64');
  if (key.length !== 32) throw new CitizenKeyError(`data key "${entry.slice(0, colon)}" is not 32 bytes`);
  return { id: entry.slice(0, colon), key };
}

/** The keys that encrypt citizens' personal data, newest first (CITIZEN_DATA_KEYS). */
export function loadDataKeys(config: CitizenConfig, env: string): DataKey[] {
  let entries = config.dataKeys;
  if (entries.length === 0) {
    if (env === 'production') throw new CitizenKeyError('production needs CITIZEN_DATA_KEYS');
    entries = generatedOnce(config, 'data-keys', () => `k1:${randomBytes(32).toString('base64')}\n`)
      .split('\n')
      .filter(Boolean);
  }
  const keys = entries.map(parseDataKey);
  const ids = keys.map((k) => k.id);
  if (new Set(ids).size !== ids.length) throw new CitizenKeyError('two data keys share an id');
  return keys;
}

/** The key of the citizens' references (CITIZEN_REFERENCE_KEY; see reference.ts). */
export function loadReferenceKey(config: CitizenConfig, env: string): Buffer {
  let encoded = config.referenceKey;
  if (!encoded) {
    if (env === 'production') throw new CitizenKeyError('production needs CITIZEN_REFERENCE_KEY');
    encoded = generatedOnce(config, 'reference-key', () => `${randomBytes(32).toString('base64')}\n`).trim();
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new CitizenKeyError('the reference key is not 32 bytes');
  return key;
}
