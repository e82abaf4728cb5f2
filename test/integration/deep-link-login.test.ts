import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { sessionKeyPrefix } from '../../src/platform/sessions.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { base64, createTestIdp, signedResponse, startLogin } from '../helpers/saml.ts';

const idp = createTestIdp();
const NURSERY = '/go/prato-iscrizione-asilo-nido';
const NURSERY_URL = 'https://servizi.comune.prato.it/scuola/nidi/iscrizione';

/**
 * A login that continues to a deep link ends on a page that moves on with a GET: the redirect from the
 * deep link to the body's site must not follow the IdP's form POST (CSP form-action). The browser test
 * test/browser/deep-link-login.test.ts shows it in Chromium.
 */
describe('login on the way to a link service', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway();
    gateway.deps.spid.idps.add(idp.descriptor);
  });
  after(() => gateway.close());

  function onwardOf(html: string) {
    const $ = cheerio.load(html);
    return {
      refresh: $('head meta[http-equiv="refresh"]').attr('content'),
      link: $('main a.btn-primary').attr('href'),
    };
  }

  it('answers the ACS with a page that goes on to the deep link, which leads to the service', async () => {
    const agent = request.agent(gateway.app);
    await agent.get(NURSERY).expect(303);
    const started = await startLogin(agent, idp, 2, NURSERY);
    const fields = {
      SAMLResponse: base64(signedResponse(gateway, idp, started.id)),
      RelayState: started.relayState,
    };
    const acs = await agent
      .post('/spid/acs')
      .set('Accept', 'text/html')
      .type('form')
      .send(fields)
      .expect(200);
    expect(acs.headers['cache-control']).to.contain('no-store');
    expect(onwardOf(acs.text)).to.deep.equal({ refresh: `0; url=${NURSERY}`, link: NURSERY });
    const go = await agent.get(NURSERY).expect(303);
    expect(go.headers.location).to.equal(NURSERY_URL);

    // "Continua" on the IdP's page posts the same Response again: no 400, the same way on, no new session.
    const sessions = await gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`);
    const again = await agent
      .post('/spid/acs')
      .set('Accept', 'text/html')
      .type('form')
      .send(fields)
      .expect(200);
    expect(onwardOf(again.text)).to.deep.equal({ refresh: `0; url=${NURSERY}`, link: NURSERY });
    expect(await gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`)).to.have.members(sessions);
  });

  it('still answers with a 303 a client that does not take HTML, and any other destination', async () => {
    const agent = request.agent(gateway.app);
    const started = await startLogin(agent, idp, 2, NURSERY);
    const res = await agent
      .post('/spid/acs')
      .set('Accept', 'application/json')
      .type('form')
      .send({
        SAMLResponse: base64(signedResponse(gateway, idp, started.id)),
        RelayState: started.relayState,
      })
      .expect(303);
    expect(res.headers.location).to.equal(NURSERY);
    const other = await startLogin(agent, idp, 2, '/services');
    const page = await agent
      .post('/spid/acs')
      .set('Accept', 'text/html')
      .type('form')
      .send({ SAMLResponse: base64(signedResponse(gateway, idp, other.id)), RelayState: other.relayState })
      .expect(303);
    expect(page.headers.location).to.equal('/services');
  });
});
