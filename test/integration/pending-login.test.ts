import { expect } from 'chai';
import { Router } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { requireLevel } from '../../src/identity/step-up.ts';
import { createTestGateway, testLoginRoutes, type TestGateway } from '../helpers/gateway.ts';
import { base64, createTestIdp, signedResponse, startLogin } from '../helpers/saml.ts';

const idp = createTestIdp();
const NOTICE = 'Per continuare devi accedere.';

describe('the way back a protected page asks for holds for that login only', () => {
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
  after(() => gateway.close());

  /** The SPID login the page's button starts (no `next` of its own), answered by the IdP at `level`. */
  async function spidLogin(agent: ReturnType<typeof request.agent>, level: 1 | 2 | 3) {
    const started = await startLogin(agent, idp, level);
    return agent
      .post('/spid/acs')
      .type('form')
      .send({
        SAMLResponse: base64(signedResponse(gateway, idp, started.id, { level })),
        RelayState: started.relayState,
      })
      .expect(303);
  }

  it('continues: the redirect says login is needed, asks for the level, and ends on the page', async () => {
    const agent = request.agent(app);
    const redirect = await agent.get('/records?x=1').expect(303);
    expect(redirect.headers.location).to.equal('/login?next=%2Frecords%3Fx%3D1');
    const page = await agent.get(redirect.headers.location!).expect(200);
    expect(page.text).to.contain(NOTICE);
    expect(page.text).to.match(/\/spid\/login\?idp=[^"]+&amp;level=3&amp;next=%2Frecords%3Fx%3D1/);
    // The language switch keeps the continuation (it comes back to the same address).
    const english = await agent.get(redirect.headers.location!).set('Cookie', 'varco.lang=en').expect(200);
    expect(english.text).to.contain('Please log in to continue.');
    const acs = await spidLogin(agent, 3);
    expect(acs.headers.location).to.equal('/records?x=1');
  });

  it('a later plain login neither shows the notice, nor asks for the old level, nor ends on the old page', async () => {
    const agent = request.agent(app);
    await agent.get('/records').expect(303);
    // The citizen wanders off, then uses the header's "Accedi".
    const page = await agent.get('/login').expect(200);
    expect(page.text).to.not.contain(NOTICE);
    expect(page.text).to.match(/\/spid\/login\?idp=[^"]+&amp;level=1"/);
    // Forgotten, not just hidden: the same continuation address no longer brings it back.
    const again = await agent.get('/login?next=%2Frecords').expect(200);
    expect(again.text).to.not.contain(NOTICE);
    const acs = await spidLogin(agent, 1);
    expect(acs.headers.location).to.equal('/me');
  });

  it('a login page for another destination, or a hostile next, is a login of its own', async () => {
    for (const other of [
      '/login?next=%2Fservices',
      '/login?next=https%3A%2F%2Fevil.example%2F',
      '/login?retry=2',
    ]) {
      const agent = request.agent(app);
      await agent.get('/records').expect(303);
      const page = await agent.get(other).expect(200);
      expect(page.text, other).to.not.contain(NOTICE);
      expect(page.text, other).to.not.contain('level=3');
      const acs = await spidLogin(agent, 1);
      expect(acs.headers.location, other).to.equal('/me');
    }
  });

  it('"try again" after a failed login continues the same login', async () => {
    const agent = request.agent(app);
    await agent.get('/records').expect(303);
    await agent.get('/login?next=%2Frecords').expect(200);
    // The IdP's answer is refused (a cancelled login, a broken response): its page links to /login?retry=1.
    const failed = await agent
      .post('/spid/acs')
      .type('form')
      .send({ SAMLResponse: base64('<not-saml/>'), RelayState: 'x' });
    expect(failed.status).to.be.within(400, 499);
    expect(failed.text).to.contain('href="/login?retry=1"');
    const retry = await agent.get('/login?retry=1').expect(200);
    expect(retry.text).to.contain(NOTICE);
    expect(retry.text).to.match(/\/spid\/login\?idp=[^"]+&amp;level=3"/);
    const acs = await spidLogin(agent, 3);
    expect(acs.headers.location).to.equal('/records');
  });

  it('an anonymous plain visit to the login page writes no session', async () => {
    const res = await request(app).get('/login').expect(200);
    expect(res.headers['set-cookie']).to.equal(undefined);
  });
});
