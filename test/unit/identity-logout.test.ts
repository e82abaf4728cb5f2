import { expect } from 'chai';
import * as cheerio from 'cheerio';
import type { Express } from 'express';
import request from 'supertest';
import { createIdentityController } from '../../src/identity/identity.controller.ts';
import { identityRoutes } from '../../src/identity/identity.routes.ts';
import { createLoginSessions } from '../../src/identity/login-session.ts';
import { csrfTokenFrom, logoutOnwardFrom } from '../helpers/gateway.ts';
import { fakeSessionIndex, routeApp } from '../helpers/route-app.ts';

/** What the identity provider's logout hook returns in each test (a SAML SLO URL, as metadata gives it). */
let providerLogoutUrl: string | undefined;
const SLO = 'https://idp.test.invalid/slo?SAMLRequest=fZBBa%2Bs&RelayState=r&SigAlg=x&Signature=a%2Fb%3D';

/**
 * POST /logout when the citizen's identity provider has a logout URL of its own: the gateway's session
 * ends first, then a page sends the browser on with a GET (pages may post forms to 'self' only).
 */
describe('logout onward to the identity provider', () => {
  let app: Express;
  let sessions: ReturnType<typeof fakeSessionIndex>;
  before(async () => {
    sessions = fakeSessionIndex();
    const loginSessions = createLoginSessions(sessions, { touchIntervalMs: 60_000 });
    // The test login is a SPID login without an IdP session: its logout hook stands for the IdP's.
    const controller = createIdentityController({
      loginSessions,
      sessionIndex: sessions,
      loginOptions: () => [],
      logoutHandlers: { spid: async () => providerLogoutUrl },
    });
    app = await routeApp([identityRoutes(controller, (_req, _res, next) => next())], {
      establish: loginSessions.establish,
    });
  });
  beforeEach(() => {
    providerLogoutUrl = SLO;
  });

  async function loggedIn(language = 'it') {
    const agent = request.agent(app);
    await agent.get('/__test/login').expect(200);
    expect(await sessions.list('RSSMRA80A01H501U')).to.have.length(1);
    const me = await agent.get('/me').set('Accept-Language', language).expect(200);
    const logout = (accept = 'text/html') =>
      agent
        .post('/logout')
        .set('Accept', accept)
        .set('Accept-Language', language)
        .type('form')
        .send({ _csrf: csrfTokenFrom(me.text) });
    return { agent, logout };
  }

  it('ends the session, then answers a page that sends the browser on to the provider', async () => {
    const { agent, logout } = await loggedIn();
    const res = await logout().expect(200);
    expect(logoutOnwardFrom(res.text)).to.equal(SLO);
    const $ = cheerio.load(res.text);
    expect($('html').attr('lang')).to.equal('it');
    expect($('h1').text()).to.equal('Sei uscito dal portale');
    expect($('main a[href]').first().text()).to.equal("Prosegui verso il gestore dell'identità");
    // The header is a logged-out visitor's: no name, no logout form.
    expect($('form[action="/logout"]')).to.have.length(0);
    expect($('a[href="/login"]')).to.have.length.greaterThan(0);
    // Outside demo mode there is no demo mailbox to link.
    expect($('a[href="/demo/mailbox"]')).to.have.length(0);
    // Nothing loosened: forms still post to the gateway only.
    expect(res.headers['content-security-policy']).to.contain("form-action 'self';");
    expect(res.headers['cache-control']).to.equal('no-store');
    await agent.get('/me').expect(303).expect('Location', '/login');
    expect(await sessions.list('RSSMRA80A01H501U')).to.deep.equal([]);
  });

  it('says so in English', async () => {
    const { logout } = await loggedIn('en');
    const $ = cheerio.load((await logout().expect(200)).text);
    expect($('html').attr('lang')).to.equal('en');
    expect($('h1').text()).to.equal('You have logged out of the portal');
    expect($('main a[href]').first().text()).to.equal('Continue to your identity provider');
  });

  it('redirects a client that does not take HTML straight to the provider', async () => {
    const { agent, logout } = await loggedIn();
    await logout('application/json').expect(303).expect('Location', SLO);
    await agent.get('/me').expect(303);
  });

  for (const hostile of [
    'javascript:alert(1)',
    'data:text/html,<script>x</script>',
    '//evil.test',
    'not a url',
  ]) {
    it(`sends the browser nowhere but our own logged-out page for a logout URL like ${JSON.stringify(hostile)}`, async () => {
      providerLogoutUrl = hostile;
      const { agent, logout } = await loggedIn();
      const res = await logout().expect(303).expect('Location', '/logged-out');
      expect(res.text).to.not.contain('refresh');
      await agent.get('/me').expect(303);
    });
  }
});
