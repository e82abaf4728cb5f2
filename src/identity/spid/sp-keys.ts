import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../../config/schema.ts';
import { writeAtomically } from '../../platform/key-files.ts';
import { generateSpidKeyPair, type KeyPair } from './sp-certificate.ts';

const pemOrFile = (pem: string | undefined, file: string | undefined) =>
  pem ?? (file ? readFileSync(file, 'utf8') : undefined);

/**
 * Loads or generates (once, kept under `dir`) a key pair for development and demo use.
 * Never used in production: there the key and certificate come from configuration.
 */
export function localKeyPair(dir: string, name: string, generate: () => KeyPair, entityId?: string): KeyPair {
  const keyFile = path.join(dir, `${name}-key.pem`);
  const certFile = path.join(dir, `${name}-cert.pem`);
  if (existsSync(keyFile) && existsSync(certFile)) {
    const pair = { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
    // The certificate names the entityID (subject uri): a changed public URL needs a new pair.
    if (!entityId || new X509Certificate(pair.cert).subject.includes(`2.5.4.83=${entityId}`)) return pair;
  }
  mkdirSync(dir, { recursive: true });
  const pair = generate();
  writeAtomically(keyFile, pair.key);
  writeAtomically(certFile, pair.cert);
  return pair;
}

/**
 * The SP's signing key and certificate: from configuration (PEM or files); outside production,
 * when none is configured, a development pair with the SPID profile generated once under spid.varDir.
 */
export function loadSpKeyPair(config: Readonly<Config>, entityId: string): KeyPair {
  const { spid } = config;
  const key = pemOrFile(spid.key, spid.keyFile);
  const cert = pemOrFile(spid.cert, spid.certFile);
  if (key && cert) return { key, cert };
  if (key || cert) throw new Error('spid: configure both the SP key and its certificate');
  if (config.env === 'production') {
    throw new Error('spid: production needs SPID_KEY_FILE and SPID_CERT_FILE (or SPID_KEY and SPID_CERT)');
  }
  return localKeyPair(
    spid.varDir,
    'sp',
    () =>
      generateSpidKeyPair({
        commonName: spid.organization.displayName,
        organizationName: spid.organization.name,
        entityId,
        ipaCode: spid.organization.ipaCode,
        localityName: spid.organization.locality,
      }),
    entityId,
  );
}
