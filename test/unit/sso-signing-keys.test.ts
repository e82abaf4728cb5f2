import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadPairwiseSalt, loadSigningKeys, SigningKeysError } from '../../src/sso/signing-keys.ts';
import { pairwiseSubject, requiredLevel } from '../../src/sso/provider.ts';
import { knownScopes, releasedClaimNames } from '../../src/sso/claims.ts';

type SsoSettings = {
  signingKeys?: string;
  signingKeysFiles: string[];
  pairwiseSalt?: string;
  varDir: string;
  historyLength: number;
};
const settings = (env: 'development' | 'production', sso: Partial<SsoSettings>, dir: string) => ({
  env,
  sso: { signingKeysFiles: [], varDir: dir, historyLength: 500, ...sso },
});

describe('SSO signing keys and pairwise salt', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'varco-sso-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rsaJwk = (kid?: string) => ({
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    ...(kid ? { kid } : {}),
  });

  it('keeps the configured order (the first signs) and names unnamed keys by RFC 7638 thumbprint', () => {
    const keys = loadSigningKeys(
      settings('production', { signingKeys: JSON.stringify({ keys: [rsaJwk('new'), rsaJwk()] }) }, dir),
    );
    expect(keys.map((k) => k.kid)[0]).to.equal('new');
    expect(keys[1]!.kid).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(keys.every((k) => k.use === 'sig')).to.equal(true);
  });

  it('reads PEM and JWK Set files, in the configured order', () => {
    const pem = path.join(dir, 'key.pem');
    writeFileSync(
      pem,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
    );
    const set = path.join(dir, 'keys.json');
    writeFileSync(set, JSON.stringify({ keys: [rsaJwk('from-file')] }));
    const keys = loadSigningKeys(settings('production', { signingKeysFiles: [pem, set] }, dir));
    expect(keys.map((k) => k.kty)).to.deep.equal(['EC', 'RSA']);
    expect(keys[1]!.kid).to.equal('from-file');
  });

  it('refuses public keys, shared kids, bad JSON, missing files, and production without keys or salt', () => {
    const publicOnly = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      format: 'jwk',
    });
    const cases: Array<Parameters<typeof loadSigningKeys>[0]> = [
      settings('production', { signingKeys: JSON.stringify({ keys: [publicOnly] }) }, dir),
      settings('production', { signingKeys: JSON.stringify({ keys: [rsaJwk('a'), rsaJwk('a')] }) }, dir),
      settings('production', { signingKeys: '{not json' }, dir),
      settings('production', { signingKeys: JSON.stringify({ keys: [] }) }, dir),
      settings('production', { signingKeysFiles: [path.join(dir, 'missing.pem')] }, dir),
      settings('production', {}, dir),
    ];
    for (const config of cases) expect(() => loadSigningKeys(config)).to.throw(SigningKeysError);
    expect(() => loadPairwiseSalt(settings('production', {}, dir))).to.throw(SigningKeysError);
  });

  it('outside production generates one key and one salt under var/sso, kept across starts', () => {
    const first = loadSigningKeys(settings('development', {}, dir));
    expect(loadSigningKeys(settings('development', {}, dir))).to.deep.equal(first);
    const salt = loadPairwiseSalt(settings('development', {}, dir));
    expect(loadPairwiseSalt(settings('development', {}, dir))).to.equal(salt);
    expect(readFileSync(path.join(dir, 'signing-keys.json'), 'utf8')).to.contain(first[0]!.kid);
  });
});

describe('SSO claims and levels', () => {
  it('gives each body its own subject, stable and not the fiscal code', () => {
    const a = pairwiseSubject('salt-0123456789abcdef0123456789abcdef', 'comune_a', 'RSSMRA80A01H501U');
    const b = pairwiseSubject('salt-0123456789abcdef0123456789abcdef', 'comune_b', 'RSSMRA80A01H501U');
    expect(a).to.not.equal(b);
    expect(a).to.equal(
      pairwiseSubject('salt-0123456789abcdef0123456789abcdef', 'comune_a', 'RSSMRA80A01H501U'),
    );
    expect(a).to.not.contain('RSSMRA80A01H501U');
    expect(
      pairwiseSubject('another-salt-0123456789abcdef0123456789', 'comune_a', 'RSSMRA80A01H501U'),
    ).to.not.equal(a);
  });

  it('needs the higher of the service level and the lowest acr asked for; ignores unknown acr values', () => {
    const client = { clientId: 's', varco_level: 2 };
    expect(requiredLevel(client, undefined, undefined)).to.equal(2);
    expect(requiredLevel(client, 'https://www.spid.gov.it/SpidL3', undefined)).to.equal(3);
    expect(requiredLevel(client, 'https://www.spid.gov.it/SpidL1', undefined)).to.equal(2);
    expect(
      requiredLevel(client, 'https://www.spid.gov.it/SpidL3 https://www.spid.gov.it/SpidL2', undefined),
    ).to.equal(2);
    expect(requiredLevel(client, 'urn:evil', { value: 'https://www.spid.gov.it/SpidL3' })).to.equal(3);
    expect(requiredLevel({ clientId: 's', varco_level: 0 }, undefined, undefined)).to.equal(1);
  });

  it('records only declared claims, plus who and how', () => {
    expect(releasedClaimNames(['given_name'], ['openid', 'email'], ['fiscal_number'])).to.deep.equal([
      'acr',
      'amr',
      'auth_time',
      'given_name',
      'sub',
    ]);
    expect(releasedClaimNames([], ['openid'], [], ['acr'])).to.deep.equal(['amr', 'auth_time', 'sub']);
  });

  it('knows no scope named after what every object inherits', () => {
    const inherited = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];
    expect(knownScopes(['openid', ...inherited, 'email', 'unknown'])).to.deep.equal(['openid', 'email']);
    expect(releasedClaimNames(['email'], inherited, [])).to.deep.equal([]);
  });
});
