import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { sessionKeyPrefix } from '../../src/platform/sessions.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { bindingCookie, formOf } from '../helpers/saml.ts';

async function sessionCount(gateway: TestGateway): Promise<number> {
  return (await gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`)).length;
}

describe('SPID login through the demo IdP (full round trip)', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway();
  });
  after(async () => {
    await gateway.close();
  });

  async function toIdp(agent: ReturnType<typeof request.agent>, level: number, next = '/me') {
    const demo = gateway.deps.demo!.spidIdp!;
    const start = await agent
      .get(
        `/spid/login?idp=${encodeURIComponent(demo.entityId)}&level=${level}&next=${encodeURIComponent(next)}`,
      )
      // 302, the HTTP-Redirect binding's status: AgID's spid-sp-test accepts no other redirect here.
      .expect(302);
    const location = new URL(start.headers.location ?? '');
    expect(location.pathname).to.equal('/demo/spid-idp/sso');
    const page = await agent.get(location.pathname + location.search).expect(200);
    return { html: page.text, cookie: bindingCookie(start) };
  }

  it('logs the citizen in at the requested level and returns them where they were going', async () => {
    const agent = request.agent(gateway.app);
    const idpPage = await toIdp(agent, 2, '/me?tab=1');
    const $ = cheerio.load(idpPage.html);
    const laura = $('input[name="identity"][value="DEMO0000000002"]').closest('form');
    const csrf = laura.find('input[name="_csrf"]').val() as string;
    const token = laura.find('input[name="token"]').val() as string;
    const posted = await agent
      .post('/demo/spid-idp/login')
      .type('form')
      .send({ _csrf: csrf, token, identity: 'DEMO0000000002' })
      .expect(200);
    const { action, fields } = formOf(posted.text);
    expect(action).to.equal(gateway.deps.spid.sp.acsUrl);
    expect(posted.text).to.match(/<script src="\/assets\/spid\/auto-submit\.js" nonce="/);

    // The IdP's POST is cross-site: the binding cookie only, without the session cookie, as a browser sends it.
    const acs = await request(gateway.app)
      .post('/spid/acs')
      .set('Cookie', idpPage.cookie)
      .type('form')
      .send(fields)
      .expect(303);
    expect(acs.headers.location).to.equal('/me?tab=1');
    const cookie = acs.headers['set-cookie'];
    expect(cookie).to.be.an('array');
    const me = await request(gateway.app).get('/me').set('Cookie', cookie!).expect(200);
    expect(me.text).to.contain('BNCLRA85M41G999K');
    const sessions = await gateway.deps.citizen.sessions.list('BNCLRA85M41G999K');
    expect(sessions).to.have.length(1);
  });

  it('lets no identity below the requested level be chosen, and refuses one posted anyway (nr20)', async () => {
    const agent = request.agent(gateway.app);
    const idpPage = await toIdp(agent, 2);
    const $ = cheerio.load(idpPage.html);
    const mario = $('input[name="identity"][value="DEMO0000000001"]').closest('form');
    expect(mario.find('button').attr('disabled')).to.equal('disabled');
    expect(mario.find('button').attr('aria-describedby')).to.equal('level-note');
    expect($('#level-note').text()).to.contain('2');
    const laura = $('input[name="identity"][value="DEMO0000000002"]').closest('form');
    expect(laura.find('button').attr('disabled')).to.equal(undefined);
    // A hand-made POST of the level-1 identity gets the IdP's own refusal, not a session.
    const posted = await agent
      .post('/demo/spid-idp/login')
      .type('form')
      .send({
        _csrf: mario.find('input[name="_csrf"]').val(),
        token: mario.find('input[name="token"]').val(),
        identity: 'DEMO0000000001',
      })
      .expect(200);
    const acs = await request(gateway.app)
      .post('/spid/acs')
      .set('Cookie', idpPage.cookie)
      .set('Accept', 'text/html')
      .type('form')
      .send(formOf(posted.text).fields)
      .expect(401);
    expect(acs.text).to.contain('non sono compatibili con il livello');
    const atOne = cheerio.load((await toIdp(request.agent(gateway.app), 1)).html);
    expect(atOne('button[disabled]')).to.have.length(0);
  });

  it('maps a cancel at the IdP to the AgID nr25 message with a 4xx status and no session', async () => {
    const agent = request.agent(gateway.app);
    const idpPage = await toIdp(agent, 1);
    const $ = cheerio.load(idpPage.html);
    const cancel = $('input[name="action"][value="cancel"]').closest('form');
    const posted = await agent
      .post('/demo/spid-idp/login')
      .type('form')
      .send({
        _csrf: cancel.find('input[name="_csrf"]').val(),
        token: cancel.find('input[name="token"]').val(),
        action: 'cancel',
      })
      .expect(200);
    const before = await sessionCount(gateway);
    const acs = await request(gateway.app)
      .post('/spid/acs')
      .set('Cookie', idpPage.cookie)
      .set('Accept-Language', 'en')
      .set('Accept', 'text/html')
      .type('form')
      .send(formOf(posted.text).fields)
      .expect(401);
    expect(cheerio.load(acs.text)('h1').text()).to.equal('You cancelled the login');
    expect(acs.headers['set-cookie']).to.equal(undefined);
    expect(await sessionCount(gateway)).to.equal(before);
  });
});
