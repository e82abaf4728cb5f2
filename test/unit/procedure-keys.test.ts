import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSigningKey, ProcedureKeyError } from '../../src/procedures/keys.ts';
import { proceduresConfigSchema } from '../../src/procedures/procedures.config.ts';

describe('procedure keys', () => {
  let varDir: string;
  beforeEach(() => (varDir = mkdtempSync(path.join(tmpdir(), 'varco-keys-'))));
  afterEach(() => rmSync(varDir, { recursive: true, force: true }));
  const settings = (over: Record<string, unknown> = {}) => proceduresConfigSchema.parse({ varDir, ...over });

  it('production refuses to start without a signing key', () => {
    expect(() => loadSigningKey(settings(), 'production')).to.throw(ProcedureKeyError, /SIGNING_KEY/);
  });

  it('generates the development signing key once and reuses it', () => {
    expect(loadSigningKey(settings(), 'development')).to.equal(loadSigningKey(settings(), 'development'));
  });

  it('accepts only an EC P-256 signing key', () => {
    const pem = (type: 'ec' | 'rsa', options: object) =>
      generateKeyPairSync(type as 'ec', options as { namedCurve: string })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
    const p256 = pem('ec', { namedCurve: 'P-256' });
    expect(loadSigningKey(settings({ signingKey: p256 }), 'production')).to.equal(p256);
    expect(() =>
      loadSigningKey(settings({ signingKey: pem('ec', { namedCurve: 'P-384' }) }), 'production'),
    ).to.throw(/P-256/);
    expect(() =>
      loadSigningKey(settings({ signingKey: pem('rsa', { modulusLength: 2048 }) }), 'production'),
    ).to.throw(/P-256/);
  });
});
