import { createSign } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { buildAuthnRequest } from '../../src/identity/spid/authn-request.ts';
import { buildLogoutRequest } from '../../src/identity/spid/logout-messages.ts';
import { redirectUrl } from '../../src/identity/spid/redirect-binding.ts';
import { sessionKeyPrefix } from '../../src/platform/sessions.ts';
import { ASSETS } from '../../src/platform/views.ts';
import { createTestGateway, csrfTokenFrom, listen, type TestGateway } from '../helpers/gateway.ts';
import type { SingleClient } from '../../src/platform/redis.ts';
import {
  OIDC_PERSON,
  oidcConfig,
  providerAgent,
  startTestOp,
  testDescriptor,
  throughProvider,
  writeProvidersDir,
  type TestOp,
} from '../helpers/oidc.ts';
import { createTestIdp, postResponse, signedResponse, startLogin } from '../helpers/saml.ts';

const FISCAL_CODE = 'RSSMRA80A01H501U';

/**
 * Return paths whose dot segments resolve to "//evil.example…", a network-path reference (RFC 3986
 * section 4.2) that a browser follows to another host; the first one as it arrives raw in a query.
 */
const DOT_SEGMENT_ESCAPES = [
  '/..//evil.example/phish',
  '/.//evil.example/phish',
  '/%2e%2e//evil.example/phish',
  '/%2E%2e//evil.example/phish',
  '/x/..//evil.example/phish',
  '/x/%2e%2e/.//evil.example/phish',
  '/..///evil.example/phish',
];
const nextParameter = (path: string) => `next=${encodeURIComponent(path)}`;

/** One request with the request line exactly as given (supertest and URL() would normalise it). */
function rawGet(baseUrl: string, rawPath: string, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(baseUrl);
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = httpRequest({ host: hostname, port, path: rawPath, method: 'GET', headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('hostile input', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway();
  });
  after(() => gateway.close());

  const sessionKeys = async () =>
    (gateway.redis.client as SingleClient).keys(`${sessionKeyPrefix(gateway.redis)}*`);

  /** A logged-in agent and the CSRF token of its personal area. */
  async function loggedIn(
    userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0',
    fiscalCode = FISCAL_CODE,
  ) {
    const agent = request.agent(gateway.app);
    await agent.get(`/__test/login?fiscalCode=${fiscalCode}`).set('User-Agent', userAgent).expect(200);
    const page = await agent.get('/me').expect(200);
    return { agent, token: csrfTokenFrom(page.text), page: page.text };
  }

  describe('oversized bodies', () => {
    it('rejects a form body over the limit with 413 and a page, and changes nothing', async () => {
      const { agent, token } = await loggedIn();
      const res = await agent
        .post('/logout')
        .type('form')
        .send(`_csrf=${token}&filler=${'x'.repeat(200 * 1024)}`)
        .expect(413);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(cheerio.load(res.text)('h1').text()).to.equal('Dati troppo grandi');
      await agent.get('/me').expect(200);
    });

    it('rejects a JSON body over the limit under /api with 413 problem+json', async () => {
      const res = await request(gateway.app)
        .post('/api/v1/anything')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ filler: 'x'.repeat(200 * 1024) }))
        .expect(413);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(JSON.parse(res.text)).to.include({ status: 413, code: 'payload_too_large' });
    });

    it('rejects malformed JSON under /api with 400 problem+json', async () => {
      const res = await request(gateway.app)
        .post('/api/v1/anything')
        .set('Content-Type', 'application/json')
        .send('{"unterminated": ')
        .expect(400);
      expect(JSON.parse(res.text)).to.include({ status: 400, code: 'bad_request' });
    });

    it('rejects a form with too many parameters (413) and changes nothing', async () => {
      const { agent, token } = await loggedIn();
      const fields = Array.from({ length: 150 }, (_, i) => `f${i}=1`).join('&');
      await agent.post('/me/sessions/end-all').type('form').send(`_csrf=${token}&${fields}`).expect(413);
      await agent.get('/me').expect(200);
    });
  });

  describe('malformed cookies and session ids', () => {
    let signed: string;
    before(async () => {
      const { agent } = await loggedIn();
      const res = await agent.get('/__test/login').expect(200);
      signed = /varco\.sid=([^;]+)/.exec(res.headers['set-cookie']?.[0] ?? '')![1]!;
    });

    const cookies = (): Record<string, string> => ({
      garbage: 'varco.sid=%%%not-even-url-encoding%%%',
      unsigned: `varco.sid=${decodeURIComponent(signed).slice(2).split('.')[0]}`,
      'wrong signature': `varco.sid=${signed.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')}`,
      'signed with another secret': 'varco.sid=s%3Aabc.def',
      empty: 'varco.sid=',
      huge: `varco.sid=s%3A${'a'.repeat(8000)}`,
      'many cookies': Array.from({ length: 300 }, (_, i) => `c${i}=${i}`).join('; '),
      'no equals sign': 'varco.sid',
      'quotes and semicolons': 'varco.sid="s:;;;"; ;=;',
    });

    for (const name of [
      'garbage',
      'unsigned',
      'wrong signature',
      'signed with another secret',
      'empty',
      'huge',
      'many cookies',
      'no equals sign',
      'quotes and semicolons',
    ]) {
      it(`treats a ${name} session cookie as anonymous and creates no session`, async () => {
        const before = (await sessionKeys()).length;
        const cookie = cookies()[name]!;
        const home = await request(gateway.app).get('/').set('Cookie', cookie).expect(200);
        expect(home.headers['set-cookie']).to.equal(undefined);
        expect(cheerio.load(home.text)('header a[href="/login"]')).to.have.length(1);
        await request(gateway.app).get('/me').set('Cookie', cookie).expect(303).expect('Location', '/login');
        await request(gateway.app).post('/logout').set('Cookie', cookie).type('form').send({}).expect(403);
        // Nothing is stored: not even a session for the return path (login ends at /me anyway).
        expect((await sessionKeys()).length).to.equal(before);
        expect(await gateway.deps.citizen.sessions.list(FISCAL_CODE)).to.have.length.greaterThan(0);
      });
    }

    it('refuses a cookie header beyond the server limit (431) without crashing', async () => {
      const server = await listen(gateway.app);
      try {
        const res = await rawGet(server.url, '/', { Cookie: `varco.sid=${'a'.repeat(20_000)}` });
        expect(res.status).to.equal(431);
        expect((await rawGet(server.url, '/')).status).to.equal(200);
      } finally {
        await server.close();
      }
    });
  });

  describe('Accept headers', () => {
    for (const accept of ['application/xml', 'image/png', 'text/html;q=0', 'garbage/((', ';;;,,,==']) {
      it(`answers a page requested as ${JSON.stringify(accept)} with 406 and a readable page`, async () => {
        const res = await request(gateway.app).get('/').set('Accept', accept).expect(406);
        expect(res.headers['content-type']).to.match(/^text\/html/);
        expect(cheerio.load(res.text)('h1').text()).to.equal('Formato non disponibile');
      });
    }

    for (const accept of ['*/*', 'text/*', 'text/html', 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8']) {
      it(`serves the page as HTML for ${JSON.stringify(accept)}`, async () => {
        const res = await request(gateway.app).get('/').set('Accept', accept).expect(200);
        expect(res.headers['content-type']).to.match(/^text\/html/);
      });
    }

    it('answers problem+json to a client that asks for JSON on a page', async () => {
      const res = await request(gateway.app).get('/').set('Accept', 'application/json').expect(406);
      expect(JSON.parse(res.text)).to.include({ status: 406, code: 'not_acceptable' });
    });
  });

  describe('path traversal on static assets', () => {
    let server: Awaited<ReturnType<typeof listen>>;
    before(async () => {
      server = await listen(gateway.app);
    });
    after(() => server.close());

    it('serves the real assets (so the checks below mean something)', async () => {
      const own = await rawGet(server.url, '/assets/css/varco.css');
      expect(own.status).to.equal(200);
      const kit = await rawGet(server.url, `${ASSETS.bootstrapItalia}/css/bootstrap-italia.min.css`);
      expect(kit.status).to.equal(200);
      expect(kit.headers['cache-control']).to.match(/immutable/);
    });

    const kit = ASSETS.bootstrapItalia;
    const attempts = [
      '/assets/../package.json',
      '/assets/../../package.json',
      '/assets/%2e%2e/package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/%2E%2E%2Fpackage.json',
      '/assets/..%2fpackage.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e%5cpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/assets/..\\..\\package.json',
      '/assets/css/..%2f..%2f..%2fpackage.json',
      '/assets/css/varco.css%00.js',
      '/assets/%00../package.json',
      '/assets/..%00/package.json',
      '/assets/....//....//package.json',
      '/assets/%252e%252e/package.json',
      '/assets/.git/config',
      '/assets/%2egit/config',
      `${kit}/../../package.json`,
      `${kit}/../package.json`,
      `${kit}/%2e%2e/package.json`,
      `${kit}/%2e%2e/%2e%2e/%2e%2e/package.json`,
      `${kit}/..%5cpackage.json`,
      `${kit}/css/..%2f..%2fpackage.json`,
      `${kit}/css%00/bootstrap-italia.min.css`,
    ];
    for (const path of attempts) {
      it(`refuses ${path}`, async () => {
        const res = await rawGet(server.url, path);
        expect([400, 403, 404], `status ${res.status}`).to.include(res.status);
        expect(res.body).not.to.contain('"dependencies"');
        expect(res.body).not.to.contain('"name": "bootstrap-italia"');
        expect(res.body).not.to.contain('[core]');
        expect(res.headers['content-type']).to.match(/^text\/html/);
      });
    }
  });

  describe('CSRF on every state-changing form', () => {
    it('refuses every POST form of the pages without a token, with a wrong one or another session’s (403), changing nothing', async () => {
      // A citizen of their own, so the sessions other tests open do not show up here.
      const citizen = 'BNCLRA85M41D612X';
      const phone = await loggedIn('Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile', citizen);
      const laptop = await loggedIn(undefined, citizen);
      const other = await loggedIn('Mozilla/5.0 (Macintosh) Safari/605.1', citizen);
      const page = (await laptop.agent.get('/me').expect(200)).text;
      const $ = cheerio.load(page);
      const actions = [
        ...new Set(
          $('form')
            .filter((_, form) => ($(form).attr('method') ?? 'get').toLowerCase() === 'post')
            .map((_, form) => $(form).attr('action'))
            .get(),
        ),
      ];
      expect(actions).to.include.members(['/logout', '/me/sessions/end-others', '/me/sessions/end-all']);
      expect(actions.filter((action) => /^\/me\/sessions\/[^/]+\/end$/.test(action))).to.have.length(3);
      const sessionsBefore = await gateway.deps.citizen.sessions.list(citizen);

      for (const action of actions) {
        const attempts = [
          laptop.agent.post(action).type('form').send({}),
          laptop.agent.post(action).type('form').send({ _csrf: 'forged' }),
          laptop.agent.post(action).type('form').send({ _csrf: '' }),
          laptop.agent.post(action).type('form').send(`_csrf=${laptop.token}x`),
          laptop.agent.post(action).type('form').send(`_csrf=${laptop.token}&_csrf=${laptop.token}`),
          laptop.agent.post(action).type('form').send({ _csrf: other.token }),
          laptop.agent.post(action).set('X-CSRF-Token', other.token),
          laptop.agent.post(action).type('json').send({ _csrf: laptop.token }),
        ];
        for (const attempt of attempts) {
          const res = await attempt;
          expect(res.status, `${action} answered ${res.status}`).to.equal(403);
          expect(cheerio.load(res.text)('h1').text()).to.equal('Modulo scaduto');
        }
      }
      const sessionsAfter = await gateway.deps.citizen.sessions.list(citizen);
      expect(sessionsAfter.map((s) => s.sessionId).sort()).to.deep.equal(
        sessionsBefore.map((s) => s.sessionId).sort(),
      );
      for (const device of [phone, laptop, other]) await device.agent.get('/me').expect(200);
    });

    it('refuses a state change from a visitor with no session at all', async () => {
      const before = (await sessionKeys()).length;
      await request(gateway.app).post('/logout').type('form').send({ _csrf: 'anything' }).expect(403);
      await request(gateway.app).put('/').expect(403);
      await request(gateway.app).delete('/me').expect(403);
      expect((await sessionKeys()).length).to.equal(before);
    });
  });

  describe('request ids', () => {
    it('echoes a well-formed incoming X-Request-Id', async () => {
      const id = 'lb-2026.11.23_abcdef0123';
      await request(gateway.app).get('/').set('X-Request-Id', id).expect('X-Request-Id', id);
    });

    for (const bad of [
      'short',
      'has spaces in it ok',
      'x'.repeat(65),
      '<script>alert(1)</script>',
      'id;drop=1',
      'é'.repeat(10),
    ]) {
      it(`replaces the malformed X-Request-Id ${JSON.stringify(bad.slice(0, 20))} with its own`, async () => {
        const res = await request(gateway.app).get('/').set('X-Request-Id', bad).expect(200);
        const id = res.headers['x-request-id'] as string;
        expect(id).to.not.equal(bad);
        expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(res.text).not.to.contain('<script>alert(1)</script>');
      });
    }

    it('gives every response its own id', async () => {
      const a = await request(gateway.app).get('/');
      const b = await request(gateway.app).get('/no-such-page');
      expect(a.headers['x-request-id']).to.be.a('string').and.not.equal(b.headers['x-request-id']);
    });
  });

  describe('return paths that resolve to another host', () => {
    for (const path of DOT_SEGMENT_ESCAPES) {
      it(`/lang/en?next=${path} goes home, logged in or not`, async () => {
        for (const agent of [request.agent(gateway.app), (await loggedIn()).agent]) {
          await agent
            .get(`/lang/en?${nextParameter(path)}`)
            .expect(303)
            .expect('Location', '/');
        }
      });

      it(`/login?next=${path} sends a logged-in citizen to the personal area`, async () => {
        const { agent } = await loggedIn();
        await agent
          .get(`/login?${nextParameter(path)}`)
          .expect(303)
          .expect('Location', '/me');
      });

      it(`/login?next=${path} offers an anonymous visitor logins that do not carry it`, async () => {
        const res = await request(gateway.app)
          .get(`/login?${nextParameter(path)}`)
          .expect(200);
        const $ = cheerio.load(res.text);
        const hrefs = $('a[href^="/spid/login"], a[href^="/oidc/login"]')
          .map((_, a) => $(a).attr('href'))
          .get();
        expect(hrefs).to.have.length.greaterThan(0);
        for (const href of hrefs) expect(href).not.to.match(/evil/);
      });
    }

    it('/lang/en?next= taken raw from the query (dots decoded by the query parser) goes home', async () => {
      for (const raw of ['/..//evil.example/phish', '/%2e%2e//evil.example/phish', '/x/..//evil.example']) {
        await request(gateway.app).get(`/lang/en?next=${raw}`).expect(303).expect('Location', '/');
      }
    });

    it('keeps a return path with encoded slashes on this site', async () => {
      await request(gateway.app)
        .get(`/lang/en?${nextParameter('/%2F/evil.example')}`)
        .expect(303)
        .expect('Location', '/%2F/evil.example');
    });
  });

  describe('names every object inherits, where a value is looked up', () => {
    const INHERITED = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf'];
    const flows = () => (gateway.redis.client as SingleClient).keys(`${gateway.redis.prefix}oidc:rp:flow:*`);

    it('answers /oidc/login/<provider>?level=<inherited name> as any unknown level (400), starting no login', async () => {
      const before = await flows();
      const unknown = await request(gateway.app)
        .get('/oidc/login/cie?level=9')
        .set('Accept', 'application/json')
        .expect(400);
      for (const level of INHERITED) {
        const res = await request(gateway.app)
          .get(`/oidc/login/cie?level=${level}`)
          .set('Accept', 'application/json');
        expect(res.status, level).to.equal(400);
        expect(JSON.parse(res.text).code, level).to.equal(JSON.parse(unknown.text).code);
      }
      expect(await flows()).to.deep.equal(before);
    });
  });

  describe('malformed percent-encoding in SPID HTTP-Redirect messages', () => {
    /** A query string with each named parameter's raw (still encoded) value replaced. */
    function withRaw(url: string, replaced: Record<string, string>): string {
      const at = url.indexOf('?');
      const pairs = url
        .slice(at + 1)
        .split('&')
        .map((pair) => {
          const name = pair.slice(0, pair.indexOf('='));
          return name in replaced ? `${name}=${replaced[name]}` : pair;
        });
      return pairs.join('&');
    }
    const MALFORMED: Array<[string, Record<string, string>]> = [
      ['SigAlg', { SigAlg: '%' }],
      ['Signature', { Signature: '%zz' }],
      ['RelayState', { RelayState: '%E0%A4%A' }],
      ['SAMLRequest', { SAMLRequest: 'abc%' }],
    ];

    // Any trusted IdP as the Issuer gets the message as far as its signature: here the demo IdP.
    function logoutRequestFromTrustedIdp(): string {
      const { sp } = gateway.deps.spid;
      const demoIdp = gateway.deps.demo!.spidIdp;
      const xml = buildLogoutRequest({
        id: '_hostile-logout',
        issuedAt: Date.now(),
        issuer: demoIdp!.entityId,
        destination: sp.sloUrl,
        nameId: '_someone',
        nameQualifier: demoIdp!.entityId,
        sessionIndex: '_s',
      });
      return redirectUrl(sp.sloUrl, 'SAMLRequest', xml, 'relay', demoIdp!.keys.key);
    }

    for (const [name, replaced] of MALFORMED) {
      it(`answers 400 at /spid/slo to a malformed ${name}, and sets no cookie`, async () => {
        const res = await request(gateway.app)
          .get(`/spid/slo?${withRaw(logoutRequestFromTrustedIdp(), replaced)}`)
          .set('Accept', 'application/json')
          .expect(400);
        expect(JSON.parse(res.text).code).to.equal('spid_response_malformed');
        expect(res.headers['set-cookie']).to.equal(undefined);
      });
    }

    it('answers 400 to malformed percent-encoding in the HTTP-POST bodies of /spid/acs and /spid/slo', async () => {
      for (const path of ['/spid/acs', '/spid/slo']) {
        for (const body of ['SAMLResponse=%&RelayState=%zz', 'SAMLRequest=%E0%A4%A', 'SAMLResponse=abc%']) {
          const res = await request(gateway.app)
            .post(path)
            .set('Accept', 'application/json')
            .type('form')
            .send(body);
          expect(res.status, `${path} ${body}`).to.equal(400);
        }
      }
    });

    /** `url` re-signed by `key` after its RelayState is replaced by a malformed one. */
    function signedWithMalformedRelayState(url: string, key: string): string {
      const unsigned = withRaw(url, { RelayState: '%E0%A4%A' }).replace(/&Signature=.*$/, '');
      const signature = createSign('RSA-SHA256').update(unsigned).sign(key, 'base64');
      return `${unsigned}&Signature=${encodeURIComponent(signature)}`;
    }

    it('answers 400 to a correctly signed message whose RelayState is malformed, at /spid/slo and the demo IdP', async () => {
      const { sp } = gateway.deps.spid;
      const demoIdp = gateway.deps.demo!.spidIdp;
      const fromIdp = signedWithMalformedRelayState(logoutRequestFromTrustedIdp(), demoIdp!.keys.key);
      await request(gateway.app).get(`/spid/slo?${fromIdp}`).set('Accept', 'application/json').expect(400);
      const fromSp = signedWithMalformedRelayState(authnRequestToDemoIdp(), sp.keys.key);
      await request(gateway.app)
        .get(`/demo/spid-idp/sso?${fromSp}`)
        .set('Accept', 'application/json')
        .expect(400);
    });

    /** A signed AuthnRequest from the gateway to the demo IdP, as an HTTP-Redirect binding URL. */
    function authnRequestToDemoIdp(): string {
      const { sp } = gateway.deps.spid;
      const demoIdp = gateway.deps.demo!.spidIdp;
      const authn = buildAuthnRequest({
        id: '_hostile-authn',
        issuedAt: Date.now(),
        spEntityId: sp.entityId,
        destination: demoIdp!.descriptor.ssoRedirect,
        level: 1,
      });
      return redirectUrl(demoIdp!.descriptor.ssoRedirect, 'SAMLRequest', authn, 'r', sp.keys.key);
    }

    for (const [name, replaced] of MALFORMED) {
      it(`answers 400 at the demo IdP's sso and slo to a malformed ${name}`, async () => {
        const signedBySp = authnRequestToDemoIdp();
        await request(gateway.app)
          .get(`/demo/spid-idp/sso?${withRaw(signedBySp, replaced)}`)
          .set('Accept', 'application/json')
          .expect(400);
        await request(gateway.app)
          .get(`/demo/spid-idp/slo?${withRaw(signedBySp, replaced)}`)
          .set('Accept', 'application/json')
          .expect(400);
      });
    }
  });

  describe('unknown language codes', () => {
    it('answers 400 with a page and sets no cookie', async () => {
      const res = await request(gateway.app).get('/lang/klingon?next=/').expect(400);
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect(cheerio.load(res.text)('h1').text()).to.equal('Lingua non disponibile');
    });
  });
});

describe('hostile return paths through a genuine login', () => {
  const idp = createTestIdp();
  let op: TestOp;
  let providers: ReturnType<typeof writeProvidersDir>;
  let gateway: TestGateway;
  before(async () => {
    op = await startTestOp({ redirectUris: ['http://localhost:3000/oidc/callback/cie'] });
    providers = writeProvidersDir({ cie: testDescriptor(op) });
    gateway = await createTestGateway({
      rateLimit: { login: { windowSeconds: 60, max: 10_000 } },
      ...oidcConfig(providers.dir),
    });
    await gateway.deps.oidc.registry.settled();
    gateway.deps.spid.idps.add(idp.descriptor);
  });
  after(async () => {
    gateway.deps.oidc.registry.close();
    await gateway.close();
    await op.close();
    providers.remove();
  });

  for (const path of DOT_SEGMENT_ESCAPES) {
    it(`/spid/login?next=${path}, then a signed Response at the ACS, ends in the personal area`, async () => {
      const started = await startLogin(request.agent(gateway.app), idp, 2, path);
      const res = await postResponse(gateway, signedResponse(gateway, idp, started.id), started).expect(303);
      expect(res.headers.location).to.equal('/me');
      await request(gateway.app).get('/me').set('Cookie', res.headers['set-cookie']!).expect(200);
    });

    it(`/oidc/login/cie?next=${path}, then the provider's callback, ends in the personal area`, async () => {
      const agent = request.agent(gateway.app);
      const start = await agent.get(`/oidc/login/cie?level=2&${nextParameter(path)}`).expect(303);
      const callback = await throughProvider(start.headers.location ?? '', providerAgent(op));
      await agent.get(callback).expect(303).expect('Location', '/me');
      expect((await agent.get('/me').expect(200)).text).to.contain(
        OIDC_PERSON.claims['https://attributes.eid.gov.it/fiscal_number']!.replace('TINIT-', ''),
      );
    });
  }

  it('still brings a citizen back to the local page asked for', async () => {
    const started = await startLogin(request.agent(gateway.app), idp, 2, '/x/../services?q=anagrafe');
    const res = await postResponse(gateway, signedResponse(gateway, idp, started.id), started).expect(303);
    expect(res.headers.location).to.equal('/services?q=anagrafe');
  });
});
