import { expect } from 'chai';
import request from 'supertest';
import { sessionKeyPrefix } from '../../src/platform/sessions.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { base64, createTestIdp, signedResponse, startLogin, TEST_CITIZEN } from '../helpers/saml.ts';

const idp = createTestIdp();
const VICTIM = 'RSSMRA80A01H501U';

const sessionKeys = (gateway: TestGateway) =>
  gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`);

/**
 * Login CSRF: a SAMLResponse the attacker obtained in their own browser, posted from the victim's, must
 * not log the victim in as the attacker. Each AuthnRequest is bound to the browser that started it.
 */
describe('SPID login bound to the browser that started it', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway({ rateLimit: { login: { windowSeconds: 60, max: 1000 } } });
    gateway.deps.spid.idps.add(idp.descriptor);
  });
  after(() => gateway.close());

  /** The victim, logged in as themselves in browser B. */
  async function victim() {
    const b = request.agent(gateway.app);
    await b.get(`/__test/login?fiscalCode=${VICTIM}&level=2`).expect(200);
    return b;
  }

  /** The attacker starts a login in browser A and gets a genuine signed Response for it. */
  async function attackersResponse() {
    const a = request.agent(gateway.app);
    const started = await startLogin(a, idp, 2);
    const fields = {
      SAMLResponse: base64(signedResponse(gateway, idp, started.id)),
      RelayState: started.relayState,
    };
    return { a, started, fields };
  }

  it("refuses the attacker's Response posted from the victim's browser, and keeps the victim's session", async () => {
    const b = await victim();
    // The victim has a binding of their own too (a login they started and left).
    await startLogin(b, idp, 2);
    const { a, fields } = await attackersResponse();
    const keysBefore = (await sessionKeys(gateway)).sort();

    for (const language of ['it', 'en'] as const) {
      const refused = await b
        .post('/spid/acs')
        .set('Accept', 'text/html')
        .set('Accept-Language', language)
        .type('form')
        .send(fields);
      expect(refused.status).to.equal(403);
      expect(refused.text).to.contain(
        language === 'it' ? 'avviato da un altro browser' : 'started in another browser',
      );
      expect(refused.text).to.contain('href="/login?retry=1"');
    }
    const json = await b.post('/spid/acs').set('Accept', 'application/json').type('form').send(fields);
    expect(json.status).to.equal(403);
    expect(json.body.code).to.equal('spid_browser');

    const me = await b.get('/me').expect(200);
    expect(me.text).to.contain(VICTIM);
    expect(me.text).not.to.contain(TEST_CITIZEN.fiscalCode);
    expect((await sessionKeys(gateway)).sort(), 'no session made or replaced').to.deep.equal(keysBefore);
    expect(await gateway.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode)).to.deep.equal([]);

    // The refused posts did not spend the request: the attacker's own browser still completes it.
    const own = await a.post('/spid/acs').type('form').send(fields).expect(303);
    expect(own.headers.location).to.equal('/me');
    expect((await a.get('/me').expect(200)).text).to.contain(TEST_CITIZEN.fiscalCode);
    const [entry] = await gateway.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode);
    await gateway.deps.citizen.sessions.end(TEST_CITIZEN.fiscalCode, [entry!.sessionId]);
  });

  it('refuses a POST that carries no binding at all (a browser that never started a login)', async () => {
    const { fields } = await attackersResponse();
    const res = await request(gateway.app)
      .post('/spid/acs')
      .set('Accept', 'application/json')
      .type('form')
      .send(fields)
      .expect(403);
    expect(res.body.code).to.equal('spid_browser');
  });

  it('sends the same browser on, without a new login, when it posts its Response again', async () => {
    const b = request.agent(gateway.app);
    const started = await startLogin(b, idp, 2, '/services?q=tari');
    const fields = {
      SAMLResponse: base64(signedResponse(gateway, idp, started.id)),
      RelayState: started.relayState,
    };
    await b.post('/spid/acs').type('form').send(fields).expect(303);
    const keys = (await sessionKeys(gateway)).sort();
    const again = await b.post('/spid/acs').type('form').send(fields).expect(303);
    expect(again.headers.location).to.equal('/services?q=tari');
    expect((await sessionKeys(gateway)).sort()).to.deep.equal(keys);
    expect((await b.get('/me').expect(200)).text).to.contain(TEST_CITIZEN.fiscalCode);
    // Another Response to the same request is no repeat.
    const forged = { ...fields, SAMLResponse: base64(signedResponse(gateway, idp, started.id)) };
    await b.post('/spid/acs').set('Accept', 'application/json').type('form').send(forged).expect(400);
    const [entry] = await gateway.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode);
    await gateway.deps.citizen.sessions.end(TEST_CITIZEN.fiscalCode, [entry!.sessionId]);
  });

  it('over plain http the binding cookie is SameSite=Lax (same-site IdPs, like the demo one)', async () => {
    const res = await request(gateway.app)
      .get(`/spid/login?idp=${encodeURIComponent(idp.entityId)}&level=1`)
      .expect(302);
    const line = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('varco.spid='));
    expect(line).to.match(/; HttpOnly/);
    expect(line).to.match(/; SameSite=Lax/);
    expect(line).not.to.match(/; Secure/);
  });
});

describe('SPID browser binding over https', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway({ http: { publicUrl: 'https://varco.example', trustProxy: 1 } });
    gateway.deps.spid.idps.add(idp.descriptor);
  });
  after(() => gateway.close());

  it("is a __Host- cookie, SameSite=None and Secure, so the IdP's cross-site POST carries it", async () => {
    const res = await request(gateway.app)
      .get(`/spid/login?idp=${encodeURIComponent(idp.entityId)}&level=1`)
      .set('X-Forwarded-Proto', 'https')
      .expect(302);
    const line = (res.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('__Host-varco.spid='),
    );
    expect(line).to.match(/; Path=\/;/);
    expect(line).to.match(/; HttpOnly/);
    expect(line).to.match(/; Secure/);
    expect(line).to.match(/; SameSite=None/);
    expect(line).not.to.match(/Domain=/i);
  });
});
