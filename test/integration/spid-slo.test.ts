import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { buildLogoutRequest } from '../../src/identity/spid/logout-messages.ts';
import { redirectUrl, verifyRedirect } from '../../src/identity/spid/redirect-binding.ts';
import { signElement } from '../../src/identity/spid/xml-signature.ts';
import {
  createTestGateway,
  csrfTokenFrom,
  logoutOnwardFrom,
  testConfig,
  type TestGateway,
} from '../helpers/gateway.ts';
import { base64, createTestIdp, formOf, signedResponse, startLogin, TEST_CITIZEN } from '../helpers/saml.ts';

const idp = createTestIdp();
const stranger = createTestIdp('https://stranger.test.invalid');
const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

describe('SPID Single Logout', () => {
  let first: TestGateway;
  let second: TestGateway;
  before(async () => {
    const config = testConfig({ rateLimit: { login: { windowSeconds: 60, max: 1000 } } });
    first = await createTestGateway({}, config);
    second = await createTestGateway({}, config);
    for (const g of [first, second]) g.deps.spid.idps.add(idp.descriptor);
  });
  after(async () => {
    await first.close();
    await second.close();
  });

  /** Logs in on `first` through the test IdP; returns the session cookie and the Assertion's NameID. */
  async function login() {
    const started = await startLogin(request.agent(first.app), idp, 2);
    const xml = signedResponse(first, idp, started.id);
    const res = await request(first.app)
      .post('/spid/acs')
      .set('Cookie', started.cookie)
      .type('form')
      .send({ SAMLResponse: base64(xml), RelayState: started.relayState })
      .expect(303);
    const nameId = /<saml:NameID[^>]*>([^<]+)</.exec(xml)![1]!;
    return { cookie: res.headers['set-cookie']!, nameId };
  }

  function idpLogoutRequest(nameId: string, signer = idp) {
    const { sp } = first.deps.spid;
    const xml = buildLogoutRequest({
      id: '_idp-logout-1',
      issuedAt: Date.now(),
      issuer: idp.entityId,
      destination: sp.sloUrl,
      nameId,
      nameQualifier: idp.entityId,
      sessionIndex: '_s',
    });
    return pathOf(redirectUrl(sp.sloUrl, 'SAMLRequest', xml, 'idp-relay', signer.keys.key));
  }

  it('ends the session on every instance when the IdP asks, and answers with a signed LogoutResponse', async () => {
    const { cookie, nameId } = await login();
    await request(first.app).get('/me').set('Cookie', cookie).expect(200);
    const res = await request(second.app).get(idpLogoutRequest(nameId)).expect(303);
    const answer = new URL(res.headers.location!);
    expect(answer.origin + answer.pathname).to.equal(idp.descriptor.sloRedirect);
    const message = verifyRedirect(answer.search.slice(1), [first.deps.spid.sp.keys.cert]);
    expect(message?.kind).to.equal('SAMLResponse');
    expect(message?.relayState).to.equal('idp-relay');
    expect(message?.xml).to.contain('InResponseTo="_idp-logout-1"');
    expect(message?.xml).to.contain('urn:oasis:names:tc:SAML:2.0:status:Success');
    await request(first.app).get('/me').set('Cookie', cookie).expect(303).expect('Location', '/login');
    expect(await first.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode)).to.deep.equal([]);
  });

  function postedLogoutRequest(nameId: string) {
    const xml = buildLogoutRequest({
      id: '_idp-logout-post',
      issuedAt: Date.now(),
      issuer: idp.entityId,
      destination: first.deps.spid.sp.sloUrl,
      nameId,
      nameQualifier: idp.entityId,
      sessionIndex: '_s',
    });
    return signElement(xml, idp.keys, { localName: 'LogoutRequest', id: '_idp-logout-post' });
  }

  it('accepts an IdP-initiated LogoutRequest over HTTP-POST, XML-signed by the IdP', async () => {
    const { cookie, nameId } = await login();
    const tampered = postedLogoutRequest(nameId).replace(
      '<samlp:SessionIndex>_s<',
      '<samlp:SessionIndex>_t<',
    );
    await request(second.app)
      .post('/spid/slo')
      .set('Accept', 'application/json')
      .type('form')
      .send({ SAMLRequest: base64(tampered) })
      .expect(403);
    await request(first.app).get('/me').set('Cookie', cookie).expect(200);

    const res = await request(second.app)
      .post('/spid/slo')
      .type('form')
      .send({ SAMLRequest: base64(postedLogoutRequest(nameId)) })
      .expect(303);
    const answer = new URL(res.headers.location!);
    const message = verifyRedirect(answer.search.slice(1), [first.deps.spid.sp.keys.cert]);
    expect(message?.xml).to.contain('InResponseTo="_idp-logout-post"');
    await request(first.app).get('/me').set('Cookie', cookie).expect(303);
  });

  it('refuses a LogoutRequest not signed by the IdP, and keeps the session', async () => {
    const { cookie, nameId } = await login();
    await request(second.app)
      .get(idpLogoutRequest(nameId, stranger))
      .set('Accept', 'application/json')
      .expect(403);
    await request(first.app).get('/me').set('Cookie', cookie).expect(200);
    const [entry] = await first.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode);
    await first.deps.citizen.sessions.end(TEST_CITIZEN.fiscalCode, [entry!.sessionId]);
  });

  it('sends a signed LogoutRequest to the IdP on logout and accepts its LogoutResponse once', async () => {
    const { cookie, nameId } = await login();
    const me = await request(first.app).get('/me').set('Cookie', cookie).expect(200);
    const logout = await request(first.app)
      .post('/logout')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrfTokenFrom(me.text) })
      .expect(200);
    const toIdp = new URL(logoutOnwardFrom(logout.text));
    expect(toIdp.origin + toIdp.pathname).to.equal(idp.descriptor.sloRedirect);
    const sent = verifyRedirect(toIdp.search.slice(1), [first.deps.spid.sp.keys.cert]);
    expect(sent?.xml).to.contain(`>${nameId}</saml:NameID>`);
    expect(sent?.xml).to.contain('Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity"');
    expect(sent?.xml).to.match(/<samlp:SessionIndex>_[0-9a-f]+<\/samlp:SessionIndex>/);
    await request(first.app).get('/me').set('Cookie', cookie).expect(303);

    const requestId = /ID="([^"]+)"/.exec(sent!.xml)![1]!;
    const { sp } = first.deps.spid;
    const responseXml =
      `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
      ` ID="_lr1" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${sp.sloUrl}" InResponseTo="${requestId}">` +
      `<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${idp.entityId}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
    const back = pathOf(redirectUrl(sp.sloUrl, 'SAMLResponse', responseXml, undefined, idp.keys.key));
    await request(second.app).get(back).expect(303).expect('Location', '/logged-out');
    await request(first.app).get(back).set('Accept', 'application/json').expect(400);
  });
});

describe('SPID Single Logout with the demo IdP', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway();
  });
  after(async () => {
    await gateway.close();
  });

  it('logs in and out through the demo IdP', async () => {
    const agent = request.agent(gateway.app);
    const demo = gateway.deps.demo!.spidIdp!;
    const start = await agent.get(`/spid/login?idp=${encodeURIComponent(demo.entityId)}&level=1`).expect(302);
    const page = await agent.get(pathOf(start.headers.location!)).expect(200);
    const form = cheerio.load(page.text)('input[name="identity"][value="DEMO0000000001"]').closest('form');
    const posted = await agent
      .post('/demo/spid-idp/login')
      .type('form')
      .send({
        _csrf: form.find('input[name="_csrf"]').val(),
        token: form.find('input[name="token"]').val(),
        identity: 'DEMO0000000001',
      })
      .expect(200);
    await agent.post('/spid/acs').type('form').send(formOf(posted.text).fields).expect(303);
    const me = await agent.get('/me').expect(200);
    const logout = await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfTokenFrom(me.text) })
      .expect(200);
    const atIdp = await agent.get(pathOf(logoutOnwardFrom(logout.text))).expect(303);
    await agent.get(pathOf(atIdp.headers.location!)).expect(303).expect('Location', '/logged-out');
    await agent.get('/me').expect(303).expect('Location', '/login');
    // The last page says it, in words, with the logged-out header.
    const done = cheerio.load((await agent.get('/logged-out').expect(200)).text);
    expect(done('h1').text()).to.equal('Sei uscito');
    expect(done('header a[href="/login"]')).to.have.length(1);
    expect(done('header form[action="/logout"]')).to.have.length(0);
  });
});
