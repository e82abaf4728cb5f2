import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import * as cheerio from 'cheerio';
import * as oidc from 'openid-client';
import { createApp } from '../../src/app.ts';
import {
  createTestGateway,
  csrfTokenFrom,
  deleteKeys,
  testConfig,
  testLoginRoutes,
  type TestGateway,
} from '../helpers/gateway.ts';
import {
  discoverClient,
  enterService,
  registerSsoService,
  sparePort,
  startSsoGateway,
  TestBrowser,
  type SsoGateway,
} from '../helpers/sso.ts';

const TOKEN_LIMIT = 3;
const ENDPOINTS_LIMIT = 8;
const RP = 'http://127.0.0.1:9';

const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A code exchange with a code that was never issued: the provider answers invalid_grant (400). */
const bogusCodeExchange = (clientId: string) =>
  new URLSearchParams({
    grant_type: 'authorization_code',
    code: 'never-issued',
    redirect_uri: `${RP}/${clientId}/callback`,
    code_verifier: 'v'.repeat(43),
  }).toString();

/** The OAuth answer a refused request must get (RFC 6749 section 5.2 shape, RFC 6585 status). */
async function expectOAuthTooManyRequests(response: Response, windowSeconds = 60) {
  expect(response.status).to.equal(429);
  expect(response.headers.get('content-type')).to.match(/^application\/json/);
  expect(response.headers.get('cache-control')).to.equal('no-store');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).to.be.within(1, windowSeconds);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).to.have.keys('error', 'error_description');
  expect(body.error).to.equal('temporarily_unavailable');
  expect(body.error_description).to.match(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/); // RFC 6749 charset
}

describe("rate limits of the provider's endpoints, two gateway instances on one Redis", () => {
  let instances: TestGateway[];
  let server: Server;
  let url: string;
  /** The instance each request went to, in order. */
  let servedBy: number[] = [];
  let secrets: Record<string, string>;

  before(async () => {
    const port = await sparePort();
    url = `http://127.0.0.1:${port}`;
    const config = testConfig({
      http: { publicUrl: url },
      sso: { pairwiseSalt: 'test-only-pairwise-salt-0123456789abcdef' },
      rateLimit: {
        forms: { windowSeconds: 60, max: 10_000 },
        ssoToken: { windowSeconds: 60, max: TOKEN_LIMIT },
        ssoEndpoints: { windowSeconds: 60, max: ENDPOINTS_LIMIT },
      },
    });
    instances = [await createTestGateway({}, config), await createTestGateway({}, config)];
    const apps = instances.map((gw) => createApp(gw.deps, [testLoginRoutes(gw.deps)]));
    // A round-robin balancer: consecutive requests land on different instances.
    let next = 0;
    server = createServer((req, res) => {
      const index = next++ % 2;
      servedBy.push(index);
      apps[index]!(req, res);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    secrets = {};
    for (const service of ['limited-anagrafe', 'limited-tributi']) {
      const secret = await registerSsoService(instances[0]!, {
        body: 'comune_limited',
        service,
        rpOrigin: RP,
        auth: { method: 'client_secret_basic' },
        claims: ['fiscal_number'],
      });
      secrets[service] = secret!;
    }
  });
  beforeEach(async () => {
    await deleteKeys(instances[0]!.redis, `${instances[0]!.config.redis.prefix}ratelimit:`);
    servedBy = [];
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await instances[1]!.redis.close();
    await instances[0]!.close();
  });

  const tokenRequest = (clientId: string) =>
    fetch(`${url}/op/token`, {
      method: 'POST',
      headers: {
        authorization: basic(clientId, secrets[clientId]!),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: bogusCodeExchange(clientId),
    });

  it('lets a service exchange codes under the token limit and answers 429 in OAuth JSON past it, on whichever instance', async () => {
    const config = await discoverClient(url, 'limited-anagrafe', { secret: secrets['limited-anagrafe']! });
    const browser = new TestBrowser(url);
    await browser.login('RSSMRA80A01H501U', 2);
    const entered = await enterService(browser, config, `${RP}/limited-anagrafe/callback`);
    expect(entered.claims.fiscal_number).to.equal('TINIT-RSSMRA80A01H501U');

    // The code exchange above was the first of TOKEN_LIMIT; the others fail on their own merits.
    const tokenServers: number[] = [];
    for (let i = 1; i < TOKEN_LIMIT; i++) {
      const refused = await tokenRequest('limited-anagrafe');
      tokenServers.push(servedBy.at(-1)!);
      expect(refused.status).to.equal(400);
      expect(((await refused.json()) as { error: string }).error).to.equal('invalid_grant');
    }
    const limited = await tokenRequest('limited-anagrafe');
    tokenServers.push(servedBy.at(-1)!);
    await expectOAuthTooManyRequests(limited);
    expect(limited.headers.get('ratelimit')).to.match(/r=0/);
    expect(new Set(tokenServers)).to.deep.equal(new Set([0, 1])); // one counter, both instances

    // Another service on the same host keeps its own token budget.
    const other = await tokenRequest('limited-tributi');
    expect(other.status).to.equal(400);

    // An OAuth client library reads the refusal as an OAuth error it can retry on.
    const error = await enterService(browser, config, `${RP}/limited-anagrafe/callback`).catch(
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(oidc.ResponseBodyError);
    expect((error as oidc.ResponseBodyError).status).to.equal(429);
    expect((error as oidc.ResponseBodyError).error).to.equal('temporarily_unavailable');
  });

  it('counts token requests without a client_secret_basic header by address, apart from named clients', async () => {
    const anonymous = () =>
      fetch(`${url}/op/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: bogusCodeExchange('limited-anagrafe'),
      });
    for (let i = 0; i < TOKEN_LIMIT; i++) expect((await anonymous()).status).to.equal(400);
    await expectOAuthTooManyRequests(await anonymous());
    // A header that does not name a client in the form of a client id counts like none.
    const hostile = await fetch(`${url}/op/token`, {
      method: 'POST',
      headers: {
        authorization: basic('../Not A Client!', 'x'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: bogusCodeExchange('limited-anagrafe'),
    });
    await expectOAuthTooManyRequests(hostile);
    expect((await tokenRequest('limited-anagrafe')).status).to.equal(400);
  });

  it('limits userinfo, pushed authorization requests and the token endpoint together per address; discovery and the JWKS stay open', async () => {
    const userinfo = () => fetch(`${url}/op/me`, { headers: { authorization: 'Bearer not-a-token' } });
    const pushed = () =>
      fetch(`${url}/op/request`, {
        method: 'POST',
        headers: {
          authorization: basic('limited-tributi', secrets['limited-tributi']!),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'response_type=code&scope=openid', // no redirect_uri, no PKCE: refused by the provider
      });
    const answers: number[] = [];
    for (let i = 0; i < ENDPOINTS_LIMIT; i++) answers.push((await (i % 2 ? pushed() : userinfo())).status);
    expect(answers).to.deep.equal(Array.from({ length: ENDPOINTS_LIMIT }, (_, i) => (i % 2 ? 400 : 401)));

    await expectOAuthTooManyRequests(await userinfo());
    await expectOAuthTooManyRequests(await pushed());
    await expectOAuthTooManyRequests(await tokenRequest('limited-anagrafe'));
    // Other spellings of the paths are limited too, or are no endpoint of the provider at all.
    for (const path of ['/OP/ME', '/op/me/', '/OP/TOKEN', '/op/token/', '/op/token/revocation']) {
      await expectOAuthTooManyRequests(
        await fetch(`${url}${path}`, { method: path.includes('/me') ? 'GET' : 'POST' }),
      );
    }
    for (const path of ['/op/%6De', '/op//me', '/op/me;x', '/op/%74oken', '/op//token']) {
      const response = await fetch(`${url}${path}`, { method: 'POST' });
      expect(response.status, path).to.equal(404);
    }
    expect((await fetch(`${url}/op/jwks`)).status).to.equal(200);
    expect((await fetch(`${url}/.well-known/openid-configuration`)).status).to.equal(200);
  });
});

describe("the provider's browser endpoints under load from one address", () => {
  const AUTH_LIMIT = 4;
  const FORMS_LIMIT = 2;
  let op: SsoGateway;
  let counters: (name: string) => Promise<string[]>;

  before(async () => {
    op = await startSsoGateway({
      rateLimit: {
        forms: { windowSeconds: 60, max: FORMS_LIMIT },
        ssoAuth: { windowSeconds: 60, max: AUTH_LIMIT },
      },
    });
    const prefix = `${op.gateway.config.redis.prefix}ratelimit:`;
    counters = (name) => op.gateway.redis.client.keys(`${prefix}${name}:*`);
  });
  beforeEach(() => deleteKeys(op.gateway.redis, `${op.gateway.config.redis.prefix}ratelimit:`));
  after(() => op.close());

  /** A logged-in citizen and a form of the gateway's own (under the forms limit) they can send. */
  async function citizenWithForm() {
    const browser = new TestBrowser(op.url);
    await browser.login('RSSMRA80A01H501U');
    const token = csrfTokenFrom(await (await browser.request('/me')).text());
    return { browser, endOthers: () => browser.post('/me/sessions/end-others', { _csrf: token }) };
  }

  /** The gateway's own 429 page, in Italian by default, saying when to retry. */
  async function expectTooManyRequestsPage(response: Response) {
    expect(response.status).to.equal(429);
    expect(response.headers.get('content-type')).to.match(/^text\/html/);
    const retryAfter = response.headers.get('retry-after');
    expect(Number(retryAfter)).to.be.within(1, 60);
    const $ = cheerio.load(await response.text());
    expect($('h1').text()).to.equal('Troppe richieste');
    expect($('main').text()).to.contain(`Riprova tra ${retryAfter} secondi.`);
  }

  it('counts authorization and end-session requests together on a counter of their own, refused with the 429 page', async () => {
    const { browser, endOthers } = await citizenWithForm();
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_LIMIT; i++) {
      const path = i % 2 ? '/op/session/end' : '/op/auth?client_id=x';
      statuses.push((await browser.request(path)).status);
    }
    expect(statuses).to.deep.equal([400, 200, 400, 200]);
    const limited = await browser.request('/op/auth?client_id=x', { headers: { accept: 'text/html' } });
    await expectTooManyRequestsPage(limited);
    expect(limited.headers.get('ratelimit')).to.match(/r=0/);
    await expectTooManyRequestsPage(await browser.request('/op/session/end'));
    // The authorization's resume, and other spellings of the paths, are the same endpoints.
    for (const path of ['/op/auth/some-interaction', '/OP/AUTH?client_id=x', '/op/session/end/confirm']) {
      expect((await browser.request(path)).status, path).to.equal(429);
    }
    expect(await counters('sso-auth')).to.have.length(1);
    expect(await counters('forms')).to.deep.equal([]);
    // The gateway's forms kept their whole budget.
    for (let i = 0; i < FORMS_LIMIT; i++) expect((await endOthers()).status).to.equal(303);
    await expectTooManyRequestsPage(await endOthers());
  });

  it('lets a citizen whose address used up the forms limit still enter services and log out of them', async () => {
    const { browser, endOthers } = await citizenWithForm();
    for (let i = 0; i < FORMS_LIMIT; i++) expect((await endOthers()).status).to.equal(303);
    await expectTooManyRequestsPage(await endOthers());
    expect((await browser.request('/op/auth?client_id=x')).status).to.equal(400);
    expect((await browser.request('/op/session/end')).status).to.equal(200);
    expect(await counters('forms')).to.have.length(1);
    expect(await counters('sso-auth')).to.have.length(1);
  });
});
