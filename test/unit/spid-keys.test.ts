import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.ts';
import { loadSpKeyPair } from '../../src/identity/spid/sp-keys.ts';

const config = (overrides: Record<string, unknown>) =>
  loadConfig({
    env: {},
    overrides: { session: { secrets: ['test-only-session-secret-0123456789abcdef'] }, ...overrides },
  });

describe('SPID SP keys', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'varco-spid-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a development pair once, with the SPID profile, and a new one when the entityID changes', () => {
    const first = loadSpKeyPair(config({ env: 'test', spid: { varDir: dir } }), 'https://a.example.it');
    const cert = new X509Certificate(first.cert);
    expect(cert.subject).to.contain('2.5.4.83=https://a.example.it');
    expect(cert.subject).to.match(/organizationIdentifier=PA:IT-c_g999|2\.5\.4\.97=PA:IT-c_g999/);
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: first.cert }).toString();
    expect(text).to.match(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    // AgID's certificate profile (checked by spid-sp-test --production): CA:FALSE, and not critical.
    expect(cert.ca).to.equal(false);
    expect(text).to.match(/X509v3 Basic Constraints:\s*\n\s*CA:FALSE/);
    expect(text).to.contain('Policy: 1.3.76.16.6');
    expect(text).to.contain('Policy: 1.3.76.16.4.2.1');
    expect(text).to.contain('sha256WithRSAEncryption');
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
    expect(
      loadSpKeyPair(config({ env: 'test', spid: { varDir: dir } }), 'https://a.example.it'),
    ).to.deep.equal(first);
    const other = loadSpKeyPair(config({ env: 'test', spid: { varDir: dir } }), 'https://b.example.it');
    expect(new X509Certificate(other.cert).subject).to.contain('2.5.4.83=https://b.example.it');
  });

  it('uses the configured key and certificate, and refuses half a pair', () => {
    const pair = loadSpKeyPair(config({ env: 'test', spid: { varDir: dir } }), 'https://a.example.it');
    expect(
      loadSpKeyPair(config({ env: 'test', spid: { key: pair.key, cert: pair.cert } }), 'x'),
    ).to.deep.equal(pair);
    expect(() => loadSpKeyPair(config({ env: 'test', spid: { key: pair.key } }), 'x')).to.throw(/both/);
  });

  it('never generates keys in production', () => {
    const production = { ...config({ env: 'test', spid: { varDir: dir } }), env: 'production' as const };
    expect(() => loadSpKeyPair(production, 'https://a.example.it')).to.throw(
      /production needs SPID_KEY_FILE/,
    );
  });
});
