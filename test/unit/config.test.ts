import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { TEST_ONLY_SESSION_SECRET } from '../helpers/gateway.ts';

/** The problems loadConfig reports (it must throw). */
function problemsOf(env: NodeJS.ProcessEnv, options: { configDir?: string; varDir?: string } = {}): string[] {
  try {
    loadConfig({ env, ...options });
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

/** A complete production environment (test-only values); each test removes or spoils one part. */
const PRODUCTION: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://varco.example.it',
  TRUST_PROXY: '1',
  REDIS_URL: 'redis://redis.internal:6379',
  SESSION_SECRETS: TEST_ONLY_SESSION_SECRET,
  SPID_KEY_FILE: '/run/secrets/spid.key',
  SPID_CERT_FILE: '/run/secrets/spid.crt',
  ACCESSIBILITY_STATEMENT_URL: 'https://form.agid.gov.it/view/test-only',
  PRIVACY_POLICY_URL: 'https://varco.example.it/privacy',
  SMTP_URL: 'smtp://relay.internal:587',
  MAIL_FROM: 'Varco <noreply@varco.example.it>',
  MAIL_REPLY_TO: 'urp@varco.example.it',
  REGISTRY_ADMIN_EMAILS: 'rete@varco.example.it',
};

describe('configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'varco-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('outside production, a PORT without a PUBLIC_URL moves the local public address with it', () => {
    const varDir = dir;
    expect(loadConfig({ env: { PORT: '8080' }, varDir }).http.publicUrl).to.equal('http://localhost:8080');
    expect(loadConfig({ env: {}, varDir }).http.publicUrl).to.equal('http://localhost:3000');
    const chosen = { PORT: '8080', PUBLIC_URL: 'http://varco.test:9000' };
    expect(loadConfig({ env: chosen, varDir }).http.publicUrl).to.equal('http://varco.test:9000');
    expect(problemsOf({ ...PRODUCTION, PUBLIC_URL: undefined, PORT: '8080' })).to.include(
      'production needs an https:// PUBLIC_URL',
    );
  });

  it('accepts a complete production environment', () => {
    const config = loadConfig({ env: PRODUCTION });
    expect(config.env).to.equal('production');
    expect(config.demo).to.equal(false);
    expect(config.redis.embedded.enabled).to.equal(false);
    expect(Object.isFrozen(config.http)).to.equal(true);
  });

  it("limits the provider's machine endpoints by default, and refuses a limit that allows nothing", () => {
    const { rateLimit } = loadConfig({ env: PRODUCTION });
    expect(rateLimit.ssoEndpoints).to.deep.equal({ windowSeconds: 60, max: 1200 });
    expect(rateLimit.ssoToken).to.deep.equal({ windowSeconds: 60, max: 300 });
    const extra = path.join(dir, 'limits.yaml');
    writeFileSync(extra, 'rateLimit:\n  ssoToken: { windowSeconds: 60, max: 0 }\n');
    const problems = problemsOf({ ...PRODUCTION, VARCO_CONFIG: extra });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^rateLimit\.ssoToken\.max/);
  });

  it("limits the provider's browser endpoints apart from the forms, 300 a minute unless configured", () => {
    const { rateLimit } = loadConfig({ env: PRODUCTION });
    expect(rateLimit.ssoAuth).to.deep.equal({ windowSeconds: 60, max: 300 });
    expect(rateLimit.forms).to.deep.equal({ windowSeconds: 60, max: 60 });
    const extra = path.join(dir, 'auth-limit.yaml');
    writeFileSync(extra, 'rateLimit:\n  ssoAuth: { windowSeconds: 120, max: 900 }\n');
    const configured = loadConfig({ env: { ...PRODUCTION, VARCO_CONFIG: extra } }).rateLimit;
    expect(configured.ssoAuth).to.deep.equal({ windowSeconds: 120, max: 900 });
    expect(configured.forms).to.deep.equal({ windowSeconds: 60, max: 60 });
    for (const bad of [
      '{ windowSeconds: 60, max: 0 }',
      '{ windowSeconds: 60, max: 2.5 }',
      '{ max: 10 }',
      '"many"',
    ]) {
      writeFileSync(extra, `rateLimit:\n  ssoAuth: ${bad}\n`);
      const problems = problemsOf({ ...PRODUCTION, VARCO_CONFIG: extra });
      expect(problems, bad).to.have.length(1);
      expect(problems[0], bad).to.match(/^rateLimit\.ssoAuth/);
    }
  });

  it('limits starting a login and the providers’ answers apart, sized for an office behind one address', () => {
    const { rateLimit } = loadConfig({ env: PRODUCTION });
    expect(rateLimit.login).to.deep.equal({ windowSeconds: 60, max: 90 });
    expect(rateLimit.loginReturn).to.deep.equal({ windowSeconds: 60, max: 120 });
    const extra = path.join(dir, 'login-limits.yaml');
    writeFileSync(extra, 'rateLimit:\n  loginReturn: { windowSeconds: 60, max: 5000 }\n');
    const configured = loadConfig({ env: { ...PRODUCTION, VARCO_CONFIG: extra } }).rateLimit;
    expect(configured.loginReturn).to.deep.equal({ windowSeconds: 60, max: 5000 });
    expect(configured.login).to.deep.equal({ windowSeconds: 60, max: 90 });
    writeFileSync(extra, 'rateLimit:\n  loginReturn: { windowSeconds: 60, max: 0 }\n');
    expect(problemsOf({ ...PRODUCTION, VARCO_CONFIG: extra })[0]).to.match(/^rateLimit\.loginReturn\.max/);
  });

  it('refuses a setting it does not know (a misspelt key would otherwise leave its default in force)', () => {
    const extra = path.join(dir, 'typo.yaml');
    writeFileSync(
      extra,
      'rateLimit:\n  logn: { windowSeconds: 60, max: 5 }\nsesion:\n  idleTimeoutSeconds: 60\n',
    );
    const problems = problemsOf({ ...PRODUCTION, VARCO_CONFIG: extra });
    expect(problems.join('\n')).to.contain('"sesion"').and.to.contain('"logn"');
    expect(problems.find((p) => p.includes('"logn"'))).to.match(/^rateLimit: /);
  });

  it('lists every problem at once, naming the setting and the variable it came from', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      SESSION_SECRETS: TEST_ONLY_SESSION_SECRET,
    });
    expect(problems).to.have.length(2);
    expect(problems[0]).to.match(/^http\.port \(PORT\): /);
    expect(problems[1]).to.match(/^log\.level \(LOG_LEVEL\): /);
    const message = new ConfigError(problems).message;
    expect(message).to.match(/^Invalid configuration:\n {2}- http\.port/);
    expect(message).to.contain('log.level');
  });

  it('in production, refuses demo mode', () => {
    expect(problemsOf({ ...PRODUCTION, VARCO_DEMO: 'true' })).to.deep.equal([
      'demo mode cannot run in production: set VARCO_DEMO=false',
    ]);
  });

  it('in production, refuses to start without session secrets (and never invents one)', () => {
    const problems = problemsOf({ ...PRODUCTION, SESSION_SECRETS: undefined }, { varDir: dir });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^session\.secrets: set SESSION_SECRETS/);
  });

  it('refuses a session secret shorter than 32 characters', () => {
    const problems = problemsOf({ ...PRODUCTION, SESSION_SECRETS: 'short' });
    expect(problems).to.deep.equal([
      'session.secrets.0 (SESSION_SECRETS): each session secret needs at least 32 characters',
    ]);
  });

  it('in production, refuses to start without a Redis configuration', () => {
    expect(problemsOf({ ...PRODUCTION, REDIS_URL: undefined })).to.deep.equal([
      'production needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES',
    ]);
    // Sentinel or Cluster instead of a URL is enough.
    const sentinel = loadConfig({
      env: {
        ...PRODUCTION,
        REDIS_URL: undefined,
        REDIS_SENTINEL_NAME: 'varco',
        REDIS_SENTINELS: 's1:26379,s2:26379',
      },
    });
    expect(sentinel.redis.sentinel?.nodes).to.deep.equal([
      { host: 's1', port: 26379 },
      { host: 's2', port: 26379 },
    ]);
    const cluster = loadConfig({
      env: { ...PRODUCTION, REDIS_URL: undefined, REDIS_CLUSTER_NODES: 'redis://c1:6379, redis://c2:6379' },
    });
    expect(cluster.redis.cluster?.nodes).to.deep.equal(['redis://c1:6379', 'redis://c2:6379']);
  });

  it('refuses more than one kind of Redis at once', () => {
    const problems = problemsOf({ ...PRODUCTION, REDIS_CLUSTER_NODES: 'redis://c1:6379' });
    expect(problems).to.deep.equal(['redis: set only one of redis.url, redis.sentinel and redis.cluster']);
  });

  it('in production, refuses an http:// PUBLIC_URL, and an https one without a trusted proxy', () => {
    expect(problemsOf({ ...PRODUCTION, PUBLIC_URL: 'http://varco.example.it' })).to.deep.equal([
      'production needs an https:// PUBLIC_URL',
    ]);
    expect(problemsOf({ ...PRODUCTION, TRUST_PROXY: undefined })[0]).to.match(/needs TRUST_PROXY/);
  });

  it('reads TRUST_PROXY as a hop count (1 is one proxy, not every proxy), a boolean or addresses', () => {
    const trust = (value: string) =>
      loadConfig({ env: { ...PRODUCTION, TRUST_PROXY: value } }).http.trustProxy;
    expect(trust('1')).to.equal(1);
    expect(trust('2')).to.equal(2);
    expect(trust('true')).to.equal(true);
    expect(trust('10.0.0.0/8, 127.0.0.1')).to.equal('10.0.0.0/8, 127.0.0.1');
    expect(problemsOf({ ...PRODUCTION, TRUST_PROXY: '0' })[0]).to.match(/needs TRUST_PROXY/);
  });

  it('in production, refuses to start without the SPID key and certificate', () => {
    const expected = [
      'production needs the SPID signing key: SPID_KEY_FILE and SPID_CERT_FILE (or SPID_KEY and SPID_CERT)',
    ];
    expect(problemsOf({ ...PRODUCTION, SPID_KEY_FILE: undefined })).to.deep.equal(expected);
    expect(problemsOf({ ...PRODUCTION, SPID_CERT_FILE: undefined })).to.deep.equal(expected);
    expect(
      loadConfig({ env: { ...PRODUCTION, SPID_KEY_FILE: undefined, SPID_KEY: 'PEM (test)' } }).spid.key,
    ).to.equal('PEM (test)');
  });

  it('in production, refuses to start without the accessibility statement and the privacy notice', () => {
    expect(problemsOf({ ...PRODUCTION, ACCESSIBILITY_STATEMENT_URL: undefined })).to.deep.equal([
      'production needs ACCESSIBILITY_STATEMENT_URL (the AgID accessibility statement)',
    ]);
    expect(problemsOf({ ...PRODUCTION, PRIVACY_POLICY_URL: undefined })).to.deep.equal([
      'production needs PRIVACY_POLICY_URL',
    ]);
    // The demo's stand-in statement is never applied in production.
    expect(
      problemsOf({ ...PRODUCTION, ACCESSIBILITY_STATEMENT_URL: undefined, PRIVACY_POLICY_URL: undefined }),
    ).to.have.length(2);
  });

  it("in production, refuses to start without the SMTP relay, the sender, the reply-to and the admins' addresses", () => {
    expect(
      problemsOf({
        ...PRODUCTION,
        SMTP_URL: undefined,
        MAIL_FROM: undefined,
        MAIL_REPLY_TO: undefined,
        REGISTRY_ADMIN_EMAILS: undefined,
      }),
    ).to.deep.equal([
      'production needs SMTP_URL',
      'production needs MAIL_FROM',
      'production needs MAIL_REPLY_TO',
      'production needs REGISTRY_ADMIN_EMAILS (where new membership requests and dead letters go)',
    ]);
  });

  it('refuses mail settings that are not what they claim, naming the variable', () => {
    const problems = problemsOf({
      ...PRODUCTION,
      SMTP_URL: 'http://relay.internal',
      MAIL_REPLY_TO: 'urp@varco.example.it\r\nBcc: x@evil.example',
      REGISTRY_ADMIN_EMAILS: 'rete@varco.example.it, not-an-address',
    });
    expect(problems.join('\n'))
      .to.contain('mail.smtpUrl (SMTP_URL)')
      .and.contain('mail.replyTo (MAIL_REPLY_TO)')
      .and.contain('registry.adminEmails.1 (REGISTRY_ADMIN_EMAILS)');
  });

  it('refuses an accessibility statement or privacy notice that is not an http(s) URL', () => {
    const problems = problemsOf({
      ...PRODUCTION,
      ACCESSIBILITY_STATEMENT_URL: 'javascript:alert(1)',
      PRIVACY_POLICY_URL: 'privacy.html',
    });
    expect(problems).to.have.length(2);
    expect(problems[0]).to.match(/^network\.accessibilityStatementUrl \(ACCESSIBILITY_STATEMENT_URL\): /);
    expect(problems[1]).to.match(/^network\.privacyPolicyUrl \(PRIVACY_POLICY_URL\): /);
  });

  it('in production, lists all the missing pieces together with schema problems', () => {
    const problems = problemsOf(
      { NODE_ENV: 'production', VARCO_DEMO: 'true', PORT: '99999' },
      { varDir: dir },
    );
    expect(problems.join('\n'))
      .to.contain('http.port (PORT)')
      .and.contain('session.secrets')
      .and.contain('demo mode cannot run in production')
      .and.contain('REDIS_URL')
      .and.contain('https:// PUBLIC_URL')
      .and.contain('SPID_KEY_FILE');
  });

  it('reads default.yaml, then <env>.yaml, then VARCO_CONFIG, then the environment', () => {
    writeFileSync(
      path.join(dir, 'default.yaml'),
      'network:\n  name: From default\n  territory: Prato\nhttp:\n  port: 4000\nlog:\n  level: warn\n',
    );
    writeFileSync(path.join(dir, 'development.yaml'), 'http:\n  port: 4001\n');
    const extra = path.join(dir, 'extra.json');
    writeFileSync(extra, JSON.stringify({ network: { territory: 'Toscana' }, http: { port: 4002 } }));
    const env = { SESSION_SECRETS: TEST_ONLY_SESSION_SECRET };

    expect(loadConfig({ configDir: dir, env }).http.port).to.equal(4001);
    const withFile = loadConfig({ configDir: dir, env: { ...env, VARCO_CONFIG: extra } });
    expect(withFile.http.port).to.equal(4002);
    expect(withFile.network).to.deep.include({ name: 'From default', territory: 'Toscana' });
    const withEnv = loadConfig({
      configDir: dir,
      env: { ...env, VARCO_CONFIG: extra, PORT: '4003', NETWORK_NAME: 'From env', LOG_LEVEL: 'debug' },
    });
    expect(withEnv.http.port).to.equal(4003);
    expect(withEnv.network.name).to.equal('From env');
    expect(withEnv.log.level).to.equal('debug');
  });

  it('reports a configuration file that cannot be read', () => {
    writeFileSync(path.join(dir, 'default.yaml'), '- just\n- a list\n');
    const problems = problemsOf({ SESSION_SECRETS: TEST_ONLY_SESSION_SECRET }, { configDir: dir });
    expect(problems).to.deep.equal([`${path.join(dir, 'default.yaml')}: the top level must be a mapping`]);
  });

  it('the server exits non-zero with every problem listed and no stack trace', async function () {
    this.timeout(20_000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: 'eighty', LOG_LEVEL: 'loud' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).to.equal(1);
    expect(stderr).to.match(/^Invalid configuration:\n/);
    for (const expected of [
      'http.port (PORT)',
      'log.level (LOG_LEVEL)',
      'SESSION_SECRETS',
      'REDIS_URL',
      'PUBLIC_URL',
      'SPID_KEY_FILE',
    ]) {
      expect(stderr).to.contain(expected);
    }
    expect(stderr).not.to.match(/\n\s+at /);
  });
});
