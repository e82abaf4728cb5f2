import type { Server } from 'node:http';
import { createServer } from 'node:net';
import * as cheerio from 'cheerio';
import { expect } from 'chai';
import request, { type Agent } from 'supertest';
import { DEMO_OIDC_IDENTITIES } from '../../src/demo/oidc-op/identities.ts';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';

const MANY_LOGINS = { rateLimit: { login: { windowSeconds: 60, max: 10_000 } } };

/** Follows redirects inside the gateway (the demo provider is mounted in it) until `stop` matches. */
async function follow(agent: Agent, location: string, stop: RegExp): Promise<string> {
  let next = location;
  for (let hop = 0; hop < 8 && !stop.test(next); hop++) {
    const url = new URL(next, 'http://127.0.0.1');
    const res = await agent.get(`${url.pathname}${url.search}`);
    if (res.status !== 302 && res.status !== 303) return `${url.pathname}${url.search}`;
    next = res.headers.location ?? '';
  }
  return next;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('CIE (demo): the demo OpenID Provider stands in for CIE in demo mode', () => {
  let gateway: TestGateway;
  let server: Server;
  let base: string;
  before(async () => {
    // The gateway reaches the demo provider's token endpoint at its public URL: really listen there.
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = await createTestGateway({ ...MANY_LOGINS, http: { publicUrl: base } });
    server = await new Promise<Server>((resolve) => {
      const s = gateway.app.listen(port, '127.0.0.1', () => resolve(s));
    });
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gateway.close();
  });

  it('offers SPID first, then "Entra con CIE (demo)", and no second SPID button', async () => {
    const res = await request(gateway.app).get('/login?next=/services').expect(200);
    const $ = cheerio.load(res.text);
    const spid = $('details.spid-button');
    const cie = $('a.cie-button');
    expect(spid).to.have.length(1);
    expect(cie).to.have.length(1);
    expect(cie.text().trim()).to.equal('Entra con CIE (demo)');
    expect(cie.attr('href')).to.equal('/oidc/login/cie?next=%2Fservices');
    // document order: the SPID button comes before the CIE button
    expect(res.text.indexOf('spid-button')).to.be.below(res.text.indexOf('cie-button'));
    expect($('a').filter((_, a) => /SPID demo/i.test($(a).text()))).to.have.length(0);
    const en = await request(gateway.app).get('/login').set('Cookie', 'varco.lang=en').expect(200);
    expect(cheerio.load(en.text)('a.cie-button').text().trim()).to.equal('Log in with CIE (demo)');
  });

  it('logs in through the demo provider page (CSRF-protected form) and joins the demo citizen', async () => {
    const person = DEMO_OIDC_IDENTITIES[1]!;
    const agent = request.agent(gateway.app);
    const start = await agent.get('/oidc/login/cie?level=2').expect(303);
    // As with CIE id: a signed request object, the mapped claims asked for inside it.
    const signedRequest = new URL(start.headers.location ?? '').searchParams.get('request') ?? '';
    expect(signedRequest.split('.')).to.have.length(3);
    const inside = JSON.parse(Buffer.from(signedRequest.split('.')[1]!, 'base64url').toString('utf8'));
    expect(inside).to.include({ acr_values: 'https://www.spid.gov.it/SpidL2', prompt: 'consent login' });
    const loginPage = await follow(agent, start.headers.location ?? '', /\/demo\/oidc-login\//);
    const page = await agent.get(new URL(loginPage, base).pathname).expect(200);
    expect(page.text).to.contain(person.person.name);
    const action = cheerio.load(page.text)('form').first().attr('action') ?? '';
    const chosen = await agent
      .post(action)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), identity: person.sub })
      .expect(303);
    const callback = await follow(agent, chosen.headers.location ?? '', /\/oidc\/callback\/cie\?/);
    const url = new URL(callback, base);
    const done = await agent.get(`${url.pathname}${url.search}`).expect(303);
    expect(done.headers.location).to.equal('/me');
    const me = await agent.get('/me').expect(200);
    const fiscalCode = person.claims['https://attributes.eid.gov.it/fiscal_number']!.replace('TINIT-', '');
    expect(me.text).to.contain(fiscalCode).and.to.contain('CIE (demo)');
    const [linked] = await gateway.deps.citizen.records.linkedIdentities(fiscalCode);
    expect(linked).to.include({ provider: 'cie', lastLevel: 2 });
    // The personal area names the provider and its own level, not the issuer's host or a SPID level.
    const $ = cheerio.load(me.text);
    const row = $('#linked tbody tr, table tbody tr')
      .filter((_, tr) => $(tr).text().includes('CIE'))
      .first();
    expect(row.text())
      .to.contain('Livello 2 di CIE (demo)')
      .and.not.contain('localhost')
      .and.not.contain('SPID o');
    expect($('#sessions tbody tr').text()).to.contain('accesso con CIE (demo)');
  });

  it('tells the citizen the login was cancelled when they cancel at the provider (401, no session)', async () => {
    const agent = request.agent(gateway.app);
    const start = await agent.get('/oidc/login/cie').expect(303);
    const loginPage = await follow(agent, start.headers.location ?? '', /\/demo\/oidc-login\//);
    const page = await agent.get(new URL(loginPage, base).pathname).expect(200);
    const cancelForm = cheerio.load(page.text)('input[name="action"][value="cancel"]').closest('form');
    const cancelled = await agent
      .post(cancelForm.attr('action') ?? '')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), action: 'cancel' })
      .expect(303);
    const callback = await follow(agent, cancelled.headers.location ?? '', /\/oidc\/callback\/cie\?/);
    const url = new URL(callback, base);
    expect(url.searchParams.get('error')).to.equal('access_denied');
    const res = await agent.get(`${url.pathname}${url.search}`).expect(401);
    expect(cheerio.load(res.text)('h1').text()).to.equal("Hai annullato l'accesso");
    await agent.get('/me').expect(303).expect('Location', '/login');
  });

  it('refuses the demo provider login form without its CSRF token (403)', async () => {
    const agent = request.agent(gateway.app);
    const start = await agent.get('/oidc/login/cie').expect(303);
    const loginPage = await follow(agent, start.headers.location ?? '', /\/demo\/oidc-login\//);
    const path = new URL(loginPage, base).pathname;
    await agent.get(path).expect(200);
    await agent.post(path).type('form').send({ identity: DEMO_OIDC_IDENTITIES[0]!.sub }).expect(403);
  });

  it('is never built outside demo mode', async () => {
    const plain = await createTestGateway({ demo: false });
    try {
      expect(plain.deps.demo).to.equal(undefined);
      await request(plain.app).get('/demo/oidc/.well-known/openid-configuration').expect(404);
      const res = await request(plain.app).get('/login').expect(200);
      expect(cheerio.load(res.text)('a.cie-button')).to.have.length(0);
    } finally {
      await plain.close();
    }
  });
});
