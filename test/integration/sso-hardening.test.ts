import { expect } from 'chai';
import * as oidc from 'openid-client';
import { createTestIdp, decodeLoginRedirect } from '../helpers/saml.ts';
import {
  TestBrowser,
  authorizationRequest,
  discoverClient,
  enterService,
  registerSsoService,
  startSsoGateway,
  type SsoGateway,
} from '../helpers/sso.ts';

const idp = createTestIdp();
const RP = 'http://127.0.0.1:9';
const REDIRECT = `${RP}/fresh-anagrafe/callback`;

describe('the provider asks for what OpenID Connect requires of a request', () => {
  let op: SsoGateway;
  let config: oidc.Configuration;
  let levelOne: oidc.Configuration;

  before(async () => {
    op = await startSsoGateway({ rateLimit: { login: { windowSeconds: 60, max: 10_000 } } });
    op.gateway.deps.spid.idps.add(idp.descriptor);
    const secret = await registerSsoService(op.gateway, {
      body: 'comune_fresh',
      service: 'fresh-anagrafe',
      rpOrigin: RP,
      auth: { method: 'client_secret_basic' },
      claims: ['fiscal_number'],
    });
    config = await discoverClient(op.url, 'fresh-anagrafe', { secret: secret! });
    const levelOneSecret = await registerSsoService(op.gateway, {
      body: 'comune_fresh',
      service: 'fresh-biblioteca',
      rpOrigin: RP,
      requiredLevel: 'L1',
      auth: { method: 'client_secret_basic' },
      claims: ['fiscal_number'],
    });
    levelOne = await discoverClient(op.url, 'fresh-biblioteca', { secret: levelOneSecret! });
  });
  after(async () => {
    await op.close();
  });

  /** A citizen logged in with SPID at level 2 who already entered the service once (consent given). */
  async function regularCitizen() {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 2);
    const first = await enterService(browser, config, REDIRECT);
    return { browser, authTime: Number(first.claims.auth_time) };
  }

  async function exchange(
    client: oidc.Configuration,
    start: Awaited<ReturnType<typeof authorizationRequest>>,
    callback: URL,
  ) {
    const tokens = await oidc.authorizationCodeGrant(client, callback, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    return tokens.claims()!;
  }

  it('refuses an authorization request without redirect_uri, though the client registered only one (OIDC Core 3.1.2.1)', async () => {
    const { browser } = await regularCitizen();
    const start = await authorizationRequest(config, REDIRECT);
    start.url.searchParams.delete('redirect_uri');
    const response = await browser.request(start.url.href);
    expect(response.status).to.equal(400);
    expect(response.headers.get('location')).to.equal(null);
    expect(await response.text()).to.contain('invalid_request');
  });

  it('sends the citizen to a fresh SPID login when the service asks with prompt=login', async () => {
    const { browser, authTime } = await regularCitizen();
    await new Promise((resolve) => setTimeout(resolve, 1100)); // auth_time has a one-second grain
    const start = await authorizationRequest(config, REDIRECT, { prompt: 'login' });
    const toIdp = await browser.follow(start.url.href);
    expect(toIdp.url.pathname).to.equal('/spid/login');
    expect(toIdp.url.searchParams.get('level')).to.equal('2'); // the session's level: ForceAuthn
    expect(toIdp.left?.href.startsWith(idp.descriptor.ssoRedirect)).to.equal(true);
    const back = await browser.answerSpid(op.gateway, idp, toIdp.left!, 2);
    const claims = await exchange(config, start, back.left!);
    expect(Number(claims.auth_time)).to.be.greaterThan(authTime);
    expect(claims.acr).to.equal('https://www.spid.gov.it/SpidL2');
  });

  it('forces a new authentication at the IdP for a fresh login at SPID level 1 too (ForceAuthn)', async () => {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 1);
    const redirect = `${RP}/fresh-biblioteca/callback`;
    const first = await enterService(browser, levelOne, redirect);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // auth_time has a one-second grain
    const start = await authorizationRequest(levelOne, redirect, { prompt: 'login' });
    const toIdp = await browser.follow(start.url.href);
    expect(toIdp.url.searchParams.get('level')).to.equal('1');
    // SPID technical rules: ForceAuthn is mandatory above level 1 and allowed at level 1, where the
    // IdP would otherwise answer from its own session without authenticating the citizen again.
    expect(decodeLoginRedirect(toIdp.left!.href).xml).to.contain(' ForceAuthn="true"');
    const back = await browser.answerSpid(op.gateway, idp, toIdp.left!, 1);
    const claims = await exchange(levelOne, start, back.left!);
    expect(Number(claims.auth_time)).to.be.greaterThan(Number(first.claims.auth_time));
  });

  it('sends the citizen to a fresh login when the session is older than max_age, and not otherwise', async () => {
    const { browser, authTime } = await regularCitizen();
    const recent = await authorizationRequest(config, REDIRECT, { max_age: '3600' });
    const straight = await browser.follow(recent.url.href);
    expect(straight.left?.origin).to.equal(RP);
    expect(Number((await exchange(config, recent, straight.left!)).auth_time)).to.equal(authTime);

    await new Promise((resolve) => setTimeout(resolve, 2100));
    const start = await authorizationRequest(config, REDIRECT, { max_age: '1' });
    const toIdp = await browser.follow(start.url.href);
    expect(toIdp.left?.href.startsWith(idp.descriptor.ssoRedirect)).to.equal(true);
    const back = await browser.answerSpid(op.gateway, idp, toIdp.left!, 2);
    expect(Number((await exchange(config, start, back.left!)).auth_time)).to.be.greaterThan(authTime);
  });

  it('takes a login made after the request began as fresh enough, even with max_age=0', async () => {
    const { browser } = await regularCitizen();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const start = await authorizationRequest(config, REDIRECT, { max_age: '0' });
    const toIdp = await browser.follow(start.url.href);
    expect(toIdp.left?.href.startsWith(idp.descriptor.ssoRedirect)).to.equal(true);
    const back = await browser.answerSpid(op.gateway, idp, toIdp.left!, 2);
    expect(back.left?.origin).to.equal(RP);
    await exchange(config, start, back.left!);
  });
});
