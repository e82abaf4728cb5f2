import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

/** The CSP header as a map of directive → sources. */
function csp(header: unknown): Map<string, string[]> {
  expect(header, 'no Content-Security-Policy header').to.be.a('string');
  return new Map(
    (header as string)
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

const nonceOf = (policy: Map<string, string[]>) =>
  /^'nonce-([A-Za-z0-9+/=]+)'$/.exec(
    policy.get('script-src')?.find((s) => s.startsWith("'nonce-")) ?? '',
  )?.[1];

describe('security headers', () => {
  describe('behind plain http (development)', () => {
    let gateway: TestGateway;
    before(async () => {
      gateway = await createTestGateway();
    });
    after(() => gateway.close());

    it('sends a strict CSP with a fresh nonce per response and no unsafe-inline', async () => {
      const a = await request(gateway.app).get('/').expect(200);
      const b = await request(gateway.app).get('/').expect(200);
      const policyA = csp(a.headers['content-security-policy']);
      const policyB = csp(b.headers['content-security-policy']);
      const nonceA = nonceOf(policyA);
      const nonceB = nonceOf(policyB);
      expect(nonceA).to.be.a('string').with.length.greaterThan(20);
      expect(nonceB).to.be.a('string').and.not.equal(nonceA);
      expect(policyA.get('style-src')).to.include(`'nonce-${nonceA}'`);
      expect(a.headers['content-security-policy']).not.to.contain('unsafe-inline');
      expect(a.headers['content-security-policy']).not.to.contain('unsafe-eval');
      expect(policyA.get('default-src')).to.deep.equal(["'self'"]);
      expect(policyA.get('frame-ancestors')).to.deep.equal(["'none'"]);
      expect(policyA.get('object-src')).to.deep.equal(["'none'"]);
      expect(policyA.get('base-uri')).to.deep.equal(["'none'"]);
      expect(policyA.get('form-action')).to.deep.equal(["'self'"]);
      expect(policyA.has('upgrade-insecure-requests')).to.equal(false);
    });

    it('puts the response’s nonce on every script and style of every page', async () => {
      const agent = request.agent(gateway.app);
      const pages = ['/', '/login', '/no-such-page', '/lang/xx'];
      await agent.get('/__test/login').expect(200);
      let checked = 0;
      for (const path of [...pages, '/me']) {
        const res = await agent.get(path);
        const nonce = nonceOf(csp(res.headers['content-security-policy']));
        const $ = cheerio.load(res.text);
        $('script, style, link[rel="stylesheet"]').each((_, el) => {
          expect($(el).attr('nonce'), `${path}: ${$.html(el).slice(0, 80)}`).to.equal(nonce);
          checked += 1;
        });
        expect($('[style]'), `${path} has style attributes`).to.have.length(0);
        const handlers = $('*').filter((_, el) =>
          Object.keys($(el).attr() ?? {}).some((name) => /^on/i.test(name)),
        );
        expect(handlers, `${path} has inline event handlers`).to.have.length(0);
      }
      expect(checked).to.be.greaterThan(5 * 3);
    });

    it('forbids framing and sniffing, and sends no HSTS over http', async () => {
      const res = await request(gateway.app).get('/').expect(200);
      expect(res.headers['x-frame-options']).to.equal('DENY');
      expect(res.headers['x-content-type-options']).to.equal('nosniff');
      expect(res.headers['referrer-policy']).to.equal('strict-origin-when-cross-origin');
      expect(res.headers['strict-transport-security']).to.equal(undefined);
      expect(res.headers['x-powered-by']).to.equal(undefined);
    });

    it('lets no cache keep a page (its nonce, personal data), while static files are cached', async () => {
      const agent = request.agent(gateway.app);
      await agent.get('/__test/login').expect(200);
      for (const path of ['/', '/me', '/login', '/no-such-page']) {
        const res = await agent.get(path);
        expect(res.headers['cache-control'], path).to.equal('no-store');
      }
      const asset = await request(gateway.app).get('/assets/css/varco.css').expect(200);
      expect(asset.headers['cache-control']).to.equal('public, max-age=3600');
    });

    it('sends the same headers on error pages and static files', async () => {
      for (const path of ['/no-such-page', '/assets/css/varco.css']) {
        const res = await request(gateway.app).get(path);
        expect(res.headers['content-security-policy']).to.contain("frame-ancestors 'none'");
        expect(res.headers['x-content-type-options']).to.equal('nosniff');
      }
    });

    it('does not mark cookies Secure over http, even when a client claims https', async () => {
      const res = await request(gateway.app)
        .get('/__test/login')
        .set('X-Forwarded-Proto', 'https')
        .expect(200);
      expect(res.headers['set-cookie']?.[0])
        .to.match(/^varco\.sid=/)
        .and.not.match(/Secure/);
    });
  });

  describe('behind a TLS-terminating proxy (PUBLIC_URL https, TRUST_PROXY set)', () => {
    let gateway: TestGateway;
    before(async () => {
      gateway = await createTestGateway({ http: { publicUrl: 'https://varco.example', trustProxy: 1 } });
    });
    after(() => gateway.close());

    it('sends HSTS and asks browsers to upgrade insecure requests', async () => {
      const res = await request(gateway.app).get('/').set('X-Forwarded-Proto', 'https').expect(200);
      expect(res.headers['strict-transport-security']).to.equal('max-age=31536000; includeSubDomains');
      expect(csp(res.headers['content-security-policy']).has('upgrade-insecure-requests')).to.equal(true);
    });

    it('sends the session cookie Secure, HttpOnly, SameSite=Lax when the proxy says https', async () => {
      const agent = request.agent(gateway.app);
      const res = await agent.get('/__test/login').set('X-Forwarded-Proto', 'https').expect(200);
      const cookie = res.headers['set-cookie']?.[0] ?? '';
      expect(cookie).to.match(/^varco\.sid=/);
      expect(cookie)
        .to.match(/;\s*Secure/)
        .and.match(/HttpOnly/)
        .and.match(/SameSite=Lax/);
      const sid = /^varco\.sid=([^;]+)/.exec(cookie)![1];
      await request(gateway.app)
        .get('/me')
        .set('X-Forwarded-Proto', 'https')
        .set('Cookie', `varco.sid=${sid}`)
        .expect(200);
    });

    it('sends the language cookie Secure', async () => {
      const res = await request(gateway.app).get('/lang/en').set('X-Forwarded-Proto', 'https').expect(303);
      expect(res.headers['set-cookie']?.[0])
        .to.match(/^varco\.lang=en;/)
        .and.match(/;\s*Secure/);
    });

    it('refuses to start production with an https address but no trusted proxy', () => {
      const problems = (env: Record<string, string>) => {
        try {
          loadConfig({
            env: {
              NODE_ENV: 'production',
              VARCO_DEMO: 'false',
              PUBLIC_URL: 'https://varco.example',
              REDIS_URL: 'redis://127.0.0.1:6379',
              SESSION_SECRETS: 'x'.repeat(40),
              ...env,
            },
          });
          return [];
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          return error.problems;
        }
      };
      const trustProxy = (list: string[]) => list.filter((problem) => problem.includes('TRUST_PROXY'));
      expect(trustProxy(problems({}))).to.have.length(1);
      expect(trustProxy(problems({ TRUST_PROXY: 'false' }))).to.have.length(1);
      expect(trustProxy(problems({ TRUST_PROXY: '1' }))).to.deep.equal([]);
      expect(trustProxy(problems({ TRUST_PROXY: '10.0.0.0/8' }))).to.deep.equal([]);
    });

    it('never sends the session cookie over a hop the proxy did not mark https', async () => {
      const res = await request(gateway.app).get('/__test/login').expect(200);
      expect(res.headers['set-cookie'] ?? []).to.deep.equal([]);
    });
  });
});
