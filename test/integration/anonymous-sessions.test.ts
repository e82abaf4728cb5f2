import { expect } from 'chai';
import request from 'supertest';
import { sessionKeyPrefix } from '../../src/platform/sessions.ts';
import { createCredentials } from '../../src/registry/credentials.repository.ts';
import { createMemberships } from '../../src/registry/membership.ts';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';

const sessionKeys = (gateway: TestGateway) =>
  gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`);

const SHEET = '/services/prato-iscrizione-asilo-nido';
/** A link service at SPID level 2: an anonymous visit asks for a login and remembers the way back. */
const DEEP_LINK = '/go/prato-iscrizione-asilo-nido';

const application = (ipaCode: string) => ({
  ipaCode,
  name: 'Istituto Comprensivo Anonimo',
  kind: 'school',
  territory: 'Prato',
  signatoryName: 'Anna Bianchi',
  signatoryRole: 'Dirigente scolastica',
  email: 'segreteria@anonimo.example.it',
  website: 'https://www.anonimo.example.it',
  domains: 'www.anonimo.example.it',
  acceptProtocol: 'yes',
});

/** The anonymous form cookie ("name=value") an answer sets. */
function formCookie(res: { headers: Record<string, unknown> }): string {
  const lines = (res.headers['set-cookie'] ?? []) as string[];
  const pair = lines.map((line) => line.split(';')[0] ?? '').find((p) => p.startsWith('varco.csrf='));
  if (!pair) throw new Error('no form cookie');
  return pair;
}

/** Anonymous visitors stay out of Redis until something must be kept for them. */
describe('anonymous visitors and sessions', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway();
  });
  after(() => gateway.close());

  it('100 anonymous visits of pages, forms included, store no session', async () => {
    const pages = ['/join', '/', '/services', '/login', SHEET, '/services?q=tari', '/lang/en?next=%2Fjoin'];
    for (let i = 0; i < 100; i++) {
      const res = await request(gateway.app).get(pages[i % pages.length]!);
      expect(res.status, pages[i % pages.length]).to.be.oneOf([200, 303]);
      expect(String(res.headers['set-cookie'] ?? '')).not.to.contain('varco.sid');
    }
    expect(await sessionKeys(gateway)).to.deep.equal([]);
  });

  it('takes an anonymous form with its token, with no session, and refuses it without', async () => {
    const registry = createMemberships(
      gateway.redis,
      gateway.deps.catalog.writer,
      createCredentials(gateway.redis),
    );
    const memberships = async () => (await registry.list()).length;
    const before = await memberships();
    const page = await request(gateway.app).get('/join').expect(200);
    const cookie = formCookie(page);
    const token = csrfTokenFrom(page.text);
    const other = await request(gateway.app).get('/join').expect(200);
    expect(csrfTokenFrom(other.text), 'a token per visitor').not.to.equal(token);

    const post = (fields: Record<string, string>, cookies?: string) => {
      const req = request(gateway.app).post('/join').set('Accept', 'text/html').type('form');
      return (cookies ? req.set('Cookie', cookies) : req).send(fields);
    };
    const refused = [
      await post(application('demo_senza_token'), cookie),
      await post({ ...application('demo_token_errato'), _csrf: `${token.slice(0, -2)}AA` }, cookie),
      await post({ ...application('demo_senza_cookie'), _csrf: token }),
      await post({ ...application('demo_altro_cookie'), _csrf: token }, formCookie(other)),
      await post({ ...application('demo_cookie_rotto'), _csrf: token }, 'varco.csrf=x'),
    ];
    expect(refused.map((r) => r.status)).to.deep.equal([403, 403, 403, 403, 403]);
    expect(await memberships(), 'nothing changed').to.equal(before);

    await post({ ...application('demo_ente_anonimo'), _csrf: token }, cookie).expect(200);
    expect(await memberships()).to.equal(before + 1);
    expect(await sessionKeys(gateway)).to.deep.equal([]);
  });

  it('keeps an anonymous form token out of a session, and a session token for a visitor with one', async () => {
    const agent = request.agent(gateway.app);
    const anonymous = csrfTokenFrom((await agent.get('/join').expect(200)).text);
    await agent.get(DEEP_LINK).expect(303); // the way back is kept: now there is a session
    expect(await sessionKeys(gateway)).to.have.length(1);
    const withSession = csrfTokenFrom((await agent.get('/join').expect(200)).text);
    expect(withSession).not.to.equal(anonymous);
    // The session's token now; the anonymous one no longer acts for this visitor.
    await agent
      .post('/join')
      .type('form')
      .send({ ...application('demo_dopo'), _csrf: anonymous })
      .expect(403);
    await agent
      .post('/join')
      .type('form')
      .send({ ...application('demo_con_sessione'), _csrf: withSession })
      .expect(200);
  });
});

describe('sessions started per client address', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway({ rateLimit: { newSessions: { windowSeconds: 60, max: 3 } } });
  });
  after(() => gateway.close());

  it('answers 429 beyond the limit, stores nothing more, and lets visitors with a session through', async () => {
    const agents = [];
    for (let i = 0; i < 3; i++) {
      const agent = request.agent(gateway.app);
      await agent
        .get(DEEP_LINK)
        .expect(303)
        .expect('Location', `/login?next=${encodeURIComponent(DEEP_LINK)}`);
      agents.push(agent);
    }
    expect(await sessionKeys(gateway)).to.have.length(3);

    const refused = await request(gateway.app).get(DEEP_LINK).set('Accept', 'text/html').expect(429);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    expect(String(refused.headers['set-cookie'] ?? '')).not.to.contain('varco.sid');
    await request(gateway.app).get('/oidc/login/cie?level=2').expect(429);
    await request(gateway.app).get('/editor').expect(429);
    expect(await sessionKeys(gateway)).to.have.length(3);

    // Pages that keep nothing, and visitors who already have a session, are not held back.
    await request(gateway.app).get('/join').expect(200);
    await agents[0]!.get(DEEP_LINK).expect(303);
    await agents[0]!.get('/oidc/login/cie?level=2').expect(303);
    expect(await sessionKeys(gateway)).to.have.length(3);
  });
});
