import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCitizenRef, isCitizenRef } from '../../src/citizen/reference.ts';
import { citizenConfigSchema } from '../../src/citizen/citizen.config.ts';
import { CitizenKeyError, loadDataKeys, loadReferenceKey } from '../../src/citizen/secrets.ts';

describe('citizen keys', () => {
  let varDir: string;
  beforeEach(() => (varDir = mkdtempSync(path.join(tmpdir(), 'varco-keys-'))));
  afterEach(() => rmSync(varDir, { recursive: true, force: true }));
  const settings = (over: Record<string, unknown> = {}) => citizenConfigSchema.parse({ varDir, ...over });
  const dataKey = (id: string, bytes = 32) => `${id}:${randomBytes(bytes).toString('base64')}`; // test-only

  it('production refuses to start without data keys or a reference key', () => {
    expect(() => loadDataKeys(settings(), 'production')).to.throw(CitizenKeyError, /CITIZEN_DATA_KEYS/);
    expect(() => loadReferenceKey(settings(), 'production')).to.throw(
      CitizenKeyError,
      /CITIZEN_REFERENCE_KEY/,
    );
  });

  it('takes the reference key from configuration, or generates one once outside production; 32 bytes only', () => {
    const configured = randomBytes(32); // test-only key
    expect(
      loadReferenceKey(settings({ referenceKey: configured.toString('base64') }), 'production'),
    ).to.deep.equal(configured);
    const generated = loadReferenceKey(settings(), 'development');
    expect(generated).to.have.length(32);
    expect(loadReferenceKey(settings(), 'development')).to.deep.equal(generated);
    expect(() => citizenConfigSchema.parse({ referenceKey: randomBytes(16).toString('base64') })).to.throw(
      /reference key/,
    );
    expect(() => citizenConfigSchema.parse({ referenceKey: `${'x'.repeat(42)}!` })).to.throw(/reference key/);
  });

  it("names a citizen by a keyed hash of the fiscal code: stable, key-bound, never the code's shape", () => {
    const key = randomBytes(32); // test-only key
    const ref = createCitizenRef(key);
    const mario = ref('RSSMRA80A01H501U');
    expect(mario).to.match(/^[0-9a-f]{64}$/);
    expect(ref('RSSMRA80A01H501U')).to.equal(mario);
    expect(ref('BNCLCU85M10G999Z')).to.not.equal(mario);
    expect(createCitizenRef(randomBytes(32))('RSSMRA80A01H501U')).to.not.equal(mario);
    expect(createHash('sha256').update('RSSMRA80A01H501U').digest('hex')).to.not.equal(mario);
    expect(isCitizenRef(mario)).to.equal(true);
    for (const other of ['RSSMRA80A01H501U', mario.toUpperCase(), `${mario}0`, '', 'g'.repeat(64)])
      expect(isCitizenRef(other), other).to.equal(false);
    expect(() => createCitizenRef(randomBytes(16))).to.throw(/32 bytes/);
  });

  it('gives the same references when it remembers them and after it has forgotten them', () => {
    const key = randomBytes(32); // test-only key
    const ref = createCitizenRef(key);
    const fresh = (code: string) => createCitizenRef(key)(code);
    const codes = Array.from({ length: 10_050 }, (_, i) => `RSSMRA80A01H${String(i).padStart(4, '0')}`);
    const first = codes.map(ref); // more than it remembers: it forgets and starts again on the way
    expect(codes.map(ref)).to.deep.equal(first);
    for (const i of [0, 9_999, 10_000, 10_049]) expect(first[i]).to.equal(fresh(codes[i]!));
    expect(new Set(first).size).to.equal(codes.length);
  });

  it('generates development keys once and reuses them', () => {
    const first = loadDataKeys(settings(), 'development');
    expect(loadDataKeys(settings(), 'development')[0]?.key.equals(first[0]!.key)).to.equal(true);
    expect(loadReferenceKey(settings(), 'development')).to.deep.equal(
      loadReferenceKey(settings(), 'development'),
    );
  });

  it('keeps configured data keys in order and refuses duplicates and wrong sizes', () => {
    const keys = loadDataKeys(settings({ dataKeys: [dataKey('k2'), dataKey('k1')] }), 'production');
    expect(keys.map((k) => k.id)).to.deep.equal(['k2', 'k1']);
    expect(() => loadDataKeys(settings({ dataKeys: [dataKey('k1'), dataKey('k1')] }), 'production')).to.throw(
      /share an id/,
    );
    expect(() => citizenConfigSchema.parse({ dataKeys: [dataKey('k1', 16)] })).to.throw();
  });
});
