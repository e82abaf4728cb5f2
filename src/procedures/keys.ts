import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeAtomically } from '../platform/key-files.ts';
import type { ProceduresConfig } from './procedures.config.ts';

/** A key of the procedures' configuration is missing or unusable; stops the start. */
export class ProcedureKeyError extends Error {
  constructor(message: string) {
    super(`procedures: ${message}`);
    this.name = 'ProcedureKeyError';
  }
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
    writeAtomically(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  return readFileSync(file, 'utf8');
}
