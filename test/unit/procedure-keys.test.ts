import { expect } from 'chai';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDataKeys, loadSigningKey, ProcedureKeyError } from '../../src/procedures/keys.ts';
import { proceduresConfigSchema } from '../../src/procedures/procedures.config.ts';

describe('procedure keys', () => {
  let varDir: string;
  beforeEach(() => (varDir = mkdtempSync(path.join(tmpdir(), 'varco-keys-'))));
  afterEach(() => rmSync(varDir, { recursive: true, force: true }));
  const settings = (over: Record<string, unknown> = {}) => proceduresConfigSchema.parse({ varDir, ...over });
  const dataKey = (id: string, bytes = 32) => `${id}:${randomBytes(bytes).toString('base64')}`; // test-only

  it('production refuses to start without data keys or a signing key', () => {
    expect(() => loadDataKeys(settings(), 'production')).to.throw(ProcedureKeyError, /PROCEDURES_DATA_KEYS/);
    expect(() => loadSigningKey(settings(), 'production')).to.throw(ProcedureKeyError, /SIGNING_KEY/);
  });

  it('generates development keys once and reuses them', () => {
    const first = loadDataKeys(settings(), 'development');
    expect(loadDataKeys(settings(), 'development')[0]?.key.equals(first[0]!.key)).to.equal(true);
    expect(loadSigningKey(settings(), 'development')).to.equal(loadSigningKey(settings(), 'development'));
  });

  it('keeps configured data keys in order and refuses duplicates and wrong sizes', () => {
    const keys = loadDataKeys(settings({ dataKeys: [dataKey('k2'), dataKey('k1')] }), 'production');
    expect(keys.map((k) => k.id)).to.deep.equal(['k2', 'k1']);
    expect(() => loadDataKeys(settings({ dataKeys: [dataKey('k1'), dataKey('k1')] }), 'production')).to.throw(
      /share an id/,
    );
    expect(() => proceduresConfigSchema.parse({ dataKeys: [dataKey('k1', 16)] })).to.throw();
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
