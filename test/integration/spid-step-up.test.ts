import { expect } from 'chai';
import { Router } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { requireLevel } from '../../src/identity/step-up.ts';
import { createTestGateway, testLoginRoutes, type TestGateway } from '../helpers/gateway.ts';
import {
  base64,
  bindingCookie,
  createTestIdp,
  decodeLoginRedirect,
  signedResponse,
  startLogin,
  TEST_CITIZEN,
} from '../helpers/saml.ts';

const idp = createTestIdp();

describe('step-up with requireLevel', () => {
  let gateway: TestGateway;
  let app: ReturnType<typeof createApp>;
  before(async () => {
    gateway = await createTestGateway({ rateLimit: { login: { windowSeconds: 60, max: 1000 } } });
    gateway.deps.spid.idps.add(idp.descriptor);
    const pages = Router();
    pages.get('/records', requireLevel(3), (req, res) => {
      res.json({ level: req.session.citizen?.level });
    });
    app = createApp(gateway.deps, [testLoginRoutes(gateway.deps), pages]);
  });
  after(async () => {
    await gateway.close();
  });

  async function spidLogin(level: 1 | 2 | 3, agent = request.agent(app)) {
    const started = await startLogin(agent, idp, level);
    const acs = await agent
      .post('/spid/acs')
      .type('form')
      .send({
        SAMLResponse: base64(signedResponse(gateway, idp, started.id, { level })),
        RelayState: started.relayState,
      })
      .expect(303);
    return { agent, acs };
  }

  it('sends a SPID citizen back to their IdP at the needed level, then to the page', async () => {
    const { agent } = await spidLogin(1);
    const stepUp = await agent.get('/records?x=1').expect(303);
    const target = new URL(stepUp.headers.location!, 'http://gateway.invalid');
    expect(target.pathname).to.equal('/spid/login');
    expect(target.searchParams.get('idp')).to.equal(idp.entityId);
    expect(target.searchParams.get('level')).to.equal('3');

    const login = await agent.get(target.pathname + target.search).expect(302);
    const request3 = decodeLoginRedirect(login.headers.location!);
    expect(request3.xml).to.contain('https://www.spid.gov.it/SpidL3');
    expect(request3.xml).to.contain('ForceAuthn="true"');
    const acs = await agent
      .post('/spid/acs')
      .type('form')
      .send({
        SAMLResponse: base64(signedResponse(gateway, idp, request3.id, { level: 3 })),
        RelayState: request3.relayState,
      })
      .expect(303);
    expect(acs.headers.location).to.equal('/records?x=1');
    const page = await agent.get('/records?x=1').expect(200);
    expect(page.body.level).to.equal(3);
  });

  it('refuses a lower level than the step-up asked for', async () => {
    const { agent } = await spidLogin(1);
    const stepUp = await agent.get('/records').expect(303);
    const login = await agent.get(stepUp.headers.location!).expect(302);
    const started = decodeLoginRedirect(login.headers.location!);
    await agent
      .post('/spid/acs')
      .type('form')
      .send({
        SAMLResponse: base64(signedResponse(gateway, idp, started.id, { level: 2 })),
        RelayState: started.relayState,
      })
      .expect(403);
    await agent.get('/records').expect(303);
  });

  it('ends the lower-level session it replaces, though the cross-site POST carries no cookie', async () => {
    const { fiscalCode } = TEST_CITIZEN;
    const sessions = async () =>
      (await gateway.deps.citizen.sessions.list(fiscalCode)).map((e) => e.sessionId);
    const earlier = await sessions();
    const { agent } = await spidLogin(1);
    const before = await sessions();
    const oldSession = before.find((id) => !earlier.includes(id));
    expect(oldSession).to.be.a('string');
    const stepUp = await agent.get('/records').expect(303);
    const login = await agent.get(stepUp.headers.location!).expect(302);
    const started = decodeLoginRedirect(login.headers.location!);
    // A browser does not send the SameSite=Lax session cookie with the IdP's cross-site POST, only the
    // login's binding cookie.
    const acs = await request(app)
      .post('/spid/acs')
      .set('Cookie', bindingCookie(login))
      .type('form')
      .send({
        SAMLResponse: base64(signedResponse(gateway, idp, started.id, { level: 3 })),
        RelayState: started.relayState,
      })
      .expect(303);
    const after = (await gateway.deps.citizen.sessions.list(fiscalCode)).map((e) => e.sessionId);
    expect(after, 'the new session replaced the old one').to.have.length(before.length);
    expect(after).not.to.include(oldSession);
    await agent.get('/records').expect(303); // the old cookie's session is gone
    const fresh = request.agent(app);
    fresh.jar.setCookies(acs.headers['set-cookie']!);
    await fresh.get('/records').expect(200);
  });

  it('sends a visitor to the login page, whose SPID button then asks for the needed level', async () => {
    const agent = request.agent(app);
    await agent.get('/records').expect(303).expect('Location', '/login?next=%2Frecords');
    const page = await agent.get('/login?next=%2Frecords').expect(200);
    expect(page.text).to.match(/\/spid\/login\?idp=[^"]+&amp;level=3/);
  });
});
