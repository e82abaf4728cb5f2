import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';

describe('sessions and the personal area', () => {
  let gateway: TestGateway;
  beforeEach(async () => {
    gateway = await createTestGateway();
  });
  afterEach(() => gateway.close());

  it('creates no session for an anonymous visit', async () => {
    const res = await request(gateway.app).get('/').expect(200);
    expect(res.headers['set-cookie']).to.equal(undefined);
  });

  it('sends an anonymous visitor of /me to the login page without creating a session', async () => {
    for (const path of ['/me', '/login']) {
      const res = await request(gateway.app).get(path);
      expect(res.status, path).to.be.oneOf([200, 303]);
      expect(res.headers['set-cookie'], path).to.equal(undefined);
    }
    await request(gateway.app).get('/me').expect(303).expect('Location', '/login');
    const stray = await request(gateway.app)
      .post('/me/sessions/end-all')
      .set('Cookie', 'varco.sid=s%3Aforged.sig');
    expect(stray.headers['set-cookie']).to.equal(undefined);
    expect(await gateway.redis.client.keys(`${gateway.config.redis.prefix}sess:*`)).to.deep.equal([]);
  });

  it('issues a fresh session id at login and a HttpOnly, SameSite=Lax cookie', async () => {
    const agent = request.agent(gateway.app);
    const sid = (res: request.Response) =>
      /varco\.sid=([^;]+)/.exec(res.headers['set-cookie']?.[0] ?? '')?.[1];
    // An anonymous session (a page to come back to after login, remembered in the session).
    const anonymous = await agent.get('/editor').expect(303).expect('Location', '/login?next=%2Feditor');
    const login = await agent.get('/__test/login').expect(200);
    const cookie = login.headers['set-cookie']?.[0] ?? '';
    expect(cookie)
      .to.match(/HttpOnly/)
      .and.match(/SameSite=Lax/)
      .and.not.match(/Secure/);
    expect(sid(anonymous)).to.be.a('string');
    expect(sid(login)).to.be.a('string').and.not.equal(sid(anonymous));
    const me = await agent.get('/me').expect(200);
    expect(me.text).to.contain('RSSMRA80A01H501U');
  });

  it('lists the citizen’s sessions and ends another one on demand', async () => {
    const phone = request.agent(gateway.app);
    const laptop = request.agent(gateway.app);
    await phone
      .get('/__test/login')
      .set('User-Agent', 'Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile')
      .expect(200);
    await laptop
      .get('/__test/login')
      .set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0')
      .expect(200);

    const page = await laptop.get('/me').expect(200);
    const $ = cheerio.load(page.text);
    const rows = $('#sessions tbody tr');
    expect(rows).to.have.length(2);
    expect(rows.text()).to.contain('Chrome su Android, accesso con SPID').and.contain('Firefox su Linux');
    // This session is in use now: its last activity is this request, not the login.
    const mine = rows.filter((_, row) => $(row).text().includes('Firefox'));
    const [started, seen] = mine
      .find('time')
      .map((_, el) => $(el).attr('datetime'))
      .get();
    expect(Date.parse(seen!)).to.be.greaterThan(Date.parse(started!));
    const phoneForm = rows.filter((_, row) => $(row).text().includes('Android')).find('form');
    const action = phoneForm.attr('action')!;

    await laptop
      .post(action)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text) })
      .expect(303);
    await phone.get('/me').expect(303).expect('Location', '/login');
    const after = await laptop.get('/me').expect(200);
    expect(cheerio.load(after.text)('#sessions tbody tr')).to.have.length(1);
  });

  it('rejects ending a session without a valid CSRF token and changes nothing', async () => {
    const agent = request.agent(gateway.app);
    await agent.get('/__test/login').expect(200);
    await agent.post('/me/sessions/end-all').type('form').send({ _csrf: 'forged' }).expect(403);
    await agent.post('/me/sessions/end-all').type('form').send({}).expect(403);
    await agent.get('/me').expect(200);
  });

  it('logs out with POST /logout and forgets the session everywhere', async () => {
    const agent = request.agent(gateway.app);
    await agent.get('/__test/login').expect(200);
    const page = await agent.get('/me');
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text) })
      .expect(303)
      .expect('Location', '/logged-out');
    await agent.get('/me').expect(303);
    expect(await gateway.deps.citizen.sessions.list('RSSMRA80A01H501U')).to.deep.equal([]);
    const done = await agent.get('/logged-out').set('Accept-Language', 'en').expect(200);
    expect(cheerio.load(done.text)('h1').text()).to.equal('You are logged out');
    // Only true once logged out: a session that is back is sent home instead.
    await agent.get('/__test/login').expect(200);
    await agent.get('/logged-out').expect(303).expect('Location', '/');
  });

  it('answers 404 for an unknown session handle', async () => {
    const agent = request.agent(gateway.app);
    await agent.get('/__test/login').expect(200);
    const page = await agent.get('/me');
    await agent
      .post('/me/sessions/not-a-handle/end')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text) })
      .expect(404);
  });
});
