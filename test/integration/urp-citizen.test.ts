import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { SingleClient } from '../../src/platform/redis.ts';
import type { UrpDesk } from '../../src/participation/urp/urp.service.ts';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { logIn, type Agent } from '../helpers/journeys.ts';
import { linkIn, startSmtpServer, type SmtpTestServer } from '../helpers/smtp.ts';

const CITIZEN = 'RSSMRA80A01H501U';
const OTHER = 'VRDLGU75B02D612X';
const OPERATOR = 'BNCGNN70C03G999Y';
const TEXT = 'Buca profonda davanti al civico 5 di via Roma, pericolosa per le bici.';

const valid = (over: Record<string, string> = {}) => ({
  kind: 'report',
  topic: 'roads',
  body: 'c_g999',
  text: TEXT,
  address: 'Via Roma 5, Prato',
  lat: '43.8777',
  lon: '11.1022',
  ...over,
});

/** The keys of the test's Redis under the URP's and citizens' names (what a refused post must not add). */
async function urpKeys(gateway: TestGateway): Promise<string[]> {
  const client = gateway.redis.client as SingleClient;
  const found: string[] = [];
  for await (const keys of client.scanIterator({ MATCH: `${gateway.config.redis.prefix}urp:*` }))
    found.push(...keys.filter((k) => !k.includes(':ratelimit:')));
  return found.sort();
}

describe('URP desk: the citizen writes and follows', function () {
  this.timeout(30_000);
  let smtp: SmtpTestServer;
  let gateway: TestGateway;
  let desk: UrpDesk;
  before(async () => {
    smtp = await startSmtpServer();
    gateway = await createTestGateway({
      mail: { smtpUrl: smtp.url, queue: { workers: true, backoffMs: 10, attempts: 3 } },
      procedures: { delivery: { workers: false } },
      rateLimit: { forms: { windowSeconds: 60, max: 10_000 } },
      participation: { urp: { postsPerClient: { windowSeconds: 60, max: 10_000 } } },
    });
    desk = gateway.deps.participation.urp;
    await desk.people.operators.add(OPERATOR);
  });
  after(async () => {
    await gateway.close();
    await smtp.close();
  });

  async function post(agent: Agent, fields: Record<string, string>) {
    const form = await agent.get('/urp/new').expect(200);
    return agent
      .post('/urp/new')
      .type('form')
      .send({ _csrf: csrfTokenFrom(form.text), ...fields });
  }

  describe('logged in', () => {
    let agent: Agent;
    let path: string;
    before(async () => {
      agent = await logIn(gateway.app, CITIZEN);
    });

    it('files a request and acknowledges it with its reference number and deadline', async () => {
      const home = cheerio.load((await request(gateway.app).get('/').expect(200)).text);
      expect(home('footer a[href="/urp/new"]').text()).to.equal("Scrivi all'URP");
      const form = cheerio.load((await agent.get('/urp/new').expect(200)).text);
      expect(form('input[name="email"]')).to.have.length(0);
      expect(form('select[name="body"] option[value="unknown"]')).to.have.length(1);
      const answer = await post(agent, valid());
      expect(answer.status).to.equal(303);
      expect(answer.headers.location).to.match(/^\/me\/requests\/URP-\d{4}-\d{6}\?filed=1$/);
      path = answer.headers.location!.split('?')[0]!;
      const page = cheerio.load((await agent.get(answer.headers.location!).expect(200)).text);
      expect(page('.varco-urp-reference').text()).to.equal(path.split('/').pop());
      expect(page('.varco-urp-text').first().text()).to.equal(TEXT);
      expect(page('.varco-due').text()).to.contain('30');
      const list = cheerio.load((await agent.get('/me/requests').expect(200)).text);
      expect(list(`a[href="${path}"]`)).to.have.length(1);
      const me = cheerio.load((await agent.get('/me').expect(200)).text);
      expect(me('#urp-requests a[href="/me/requests"]')).to.have.length(1);
    });

    it('refuses hostile requests with 422, the form shown back as text, and stores nothing', async () => {
      const before = await urpKeys(gateway);
      const hostile: Record<string, string>[] = [
        valid({ kind: 'petition' }),
        valid({ topic: 'weather' }),
        valid({ body: 'c_nowhere' }),
        valid({ body: '../admin' }),
        valid({ text: 'x'.repeat(4001) }),
        valid({ text: 'corto' }),
        valid({ text: `${TEXT}\u0007` }),
        valid({ lat: '91', lon: '11' }),
        valid({ lat: '60.1', lon: '11.1' }),
        valid({ lat: '43.8', lon: '' }),
        valid({ lat: 'NaN', lon: '11' }),
        valid({ address: 'Via Roma\r\nBcc: x' }),
        { ...valid(), extra: 'field' },
      ];
      for (const fields of hostile) {
        const answer = await post(agent, fields);
        expect(answer.status, JSON.stringify(fields).slice(0, 80)).to.equal(422);
        expect(cheerio.load(answer.text)('#urp-errors li')).to.have.length.greaterThan(0);
      }
      const script = await post(agent, valid({ text: '<script>alert(1)</script>', body: 'nope' }));
      expect(script.status).to.equal(422);
      expect(script.text).to.not.contain('<script>alert(1)</script>');
      expect(cheerio.load(script.text)('#urp-text').text()).to.equal('<script>alert(1)</script>');
      expect(await urpKeys(gateway)).to.deep.equal(before);
    });

    it('refuses a post without its form token (403)', async () => {
      await agent.post('/urp/new').type('form').send(valid()).expect(403);
      await agent.post(`${path}/messages`).type('form').send({ text: 'senza token' }).expect(403);
    });

    it("keeps each citizen's requests to themselves: another's, or a made-up number, is a 404", async () => {
      const other = await logIn(gateway.app, OTHER);
      await other.get(path).expect(404);
      const html = (await other.get('/urp/new').expect(200)).text;
      await other
        .post(`${path}/messages`)
        .type('form')
        .send({ _csrf: csrfTokenFrom(html), text: 'intruso' })
        .expect(404);
      await agent.get('/me/requests/URP-2026-999999').expect(404);
      await agent.get('/me/requests/not-a-reference').expect(404);
      await request(gateway.app).get(path).expect(303); // anonymous: to the login page
    });

    it('adds to the thread until closed, then rates the answer once', async () => {
      const page = (await agent.get(path).expect(200)).text;
      const _csrf = csrfTokenFrom(page);
      await agent.post(`${path}/messages`).type('form').send({ _csrf, text: '' }).expect(422);
      await agent
        .post(`${path}/messages`)
        .type('form')
        .send({ _csrf, text: 'Aggiungo: anche di sera.' })
        .expect(303);
      const ref = path.split('/').pop()!;
      const actor = (await desk.actor(OPERATOR))!;
      await desk.note((await desk.store.get(ref))!, actor, 'NOTA INTERNA riservata');
      await desk.answer((await desk.store.get(ref))!, actor, 'Abbiamo avvisato i tecnici.');
      const answered = cheerio.load((await agent.get(path).expect(200)).text);
      expect(answered('.varco-urp-from-urp .varco-urp-text').text()).to.equal('Abbiamo avvisato i tecnici.');
      expect(answered.text()).to.not.contain('NOTA INTERNA');
      await agent.post(`${path}/rating`).type('form').send({ _csrf, stars: '4' }).expect(409);
      await desk.close((await desk.store.get(ref))!, actor);
      const closed = cheerio.load((await agent.get(path).expect(200)).text);
      expect(closed('textarea[name="text"]')).to.have.length(0);
      expect(closed('input[name="stars"]')).to.have.length(5);
      await agent.post(`${path}/messages`).type('form').send({ _csrf, text: 'Ancora?' }).expect(409);
      await agent.post(`${path}/rating`).type('form').send({ _csrf, stars: '9' }).expect(422);
      await agent.post(`${path}/rating`).type('form').send({ _csrf, stars: '5' }).expect(303);
      await agent.post(`${path}/rating`).type('form').send({ _csrf, stars: '1' }).expect(409);
      expect(await desk.store.ratings('c_g999')).to.deep.include({ n: '1', s5: '1' });
    });
  });

  describe('anonymous, confirmed by a link', () => {
    const ADDRESS = 'anna@example.it';
    let follow: string;

    it('needs an address, files nothing until it is confirmed, then files once', async () => {
      const visitor = request.agent(gateway.app);
      const form = cheerio.load((await visitor.get('/urp/new').expect(200)).text);
      expect(form('input[name="email"]')).to.have.length(1);
      const noAddress = await post(visitor, valid());
      expect(noAddress.status).to.equal(422);
      const badAddress = await post(visitor, { ...valid(), email: 'anna@example.it\r\nBcc: x@y.it' });
      expect(badAddress.status).to.equal(422);
      const before = await desk.store.queue('all', {}, { offset: 0, count: 1000 });

      const sent = await post(visitor, { ...valid({ kind: 'complaint', body: 'unknown' }), email: ADDRESS });
      expect(sent.status).to.equal(200);
      expect(cheerio.load(sent.text)('.varco-urp-sent').text()).to.contain(ADDRESS);
      const mail = await smtp.next(
        (m) => m.envelopeTo.includes(ADDRESS) && /Conferma/.test(m.parsed.subject ?? ''),
      );
      const link = linkIn(mail, `${gateway.config.http.publicUrl}/urp/confirm?`);
      expect((await desk.store.queue('all', {}, { offset: 0, count: 1000 })).total).to.equal(before.total);

      // Following the link (a mail scanner would) uses nothing: only the button's POST does.
      const local = link.replace(gateway.config.http.publicUrl, '');
      const confirmPage = await visitor.get(local).expect(200);
      await visitor.get(local).expect(200);
      const token = new URL(link).searchParams.get('token')!;
      await visitor.post('/urp/confirm').type('form').send({ token }).expect(403);
      const filed = await visitor
        .post('/urp/confirm')
        .type('form')
        .send({ _csrf: csrfTokenFrom(confirmPage.text), token })
        .expect(200);
      const ack = cheerio.load(filed.text);
      const reference = ack('.varco-urp-reference').text();
      expect(reference).to.match(/^URP-\d{4}-\d{6}$/);
      follow = ack('a[href^="/urp/follow?token="]').attr('href')!;
      expect((await desk.store.queue('all', {}, { offset: 0, count: 1000 })).total).to.equal(
        before.total + 1,
      );

      // Used once: the same link again is gone, and files nothing more.
      await visitor.get(local).expect(410);
      await visitor
        .post('/urp/confirm')
        .type('form')
        .send({ _csrf: csrfTokenFrom(confirmPage.text), token })
        .expect(410);
      expect((await desk.store.queue('all', {}, { offset: 0, count: 1000 })).total).to.equal(
        before.total + 1,
      );

      const followMail = await smtp.next(
        (m) => m.envelopeTo.includes(ADDRESS) && m.parsed.subject?.includes(reference) === true,
      );
      expect(linkIn(followMail, `${gateway.config.http.publicUrl}/urp/follow?`)).to.contain(follow);
      const stored = await desk.store.get(reference);
      expect(stored?.email).to.equal(ADDRESS);
      expect(stored?.owner).to.equal(undefined);
    });

    it('follows the request through the link and adds to it; a wrong token is a 404', async () => {
      const visitor = request.agent(gateway.app);
      const page = await visitor.get(follow).expect(200);
      expect(cheerio.load(page.text)('.varco-urp-text').first().text()).to.equal(TEXT);
      const token = new URL(follow, 'http://x').searchParams.get('token')!;
      const _csrf = csrfTokenFrom(page.text);
      await visitor
        .post('/urp/follow/messages')
        .type('form')
        .send({ _csrf, token, text: 'Grazie, attendo.' })
        .expect(303);
      const again = cheerio.load((await visitor.get(follow).expect(200)).text);
      expect(again('.varco-urp-from-citizen')).to.have.length(2);
      await visitor.get(`/urp/follow?token=${'A'.repeat(43)}`).expect(404);
      await visitor.get('/urp/follow?token=short').expect(404);
      await visitor.get('/urp/follow').expect(404);
      await visitor
        .post('/urp/follow/messages')
        .type('form')
        .send({ _csrf, token: 'A'.repeat(43), text: 'x' })
        .expect(404);
    });

    it('tells the anonymous requester by mail when their request is answered, without the text', async () => {
      const visitor = request.agent(gateway.app);
      const page = cheerio.load((await visitor.get(follow).expect(200)).text);
      const reference = /URP-\d{4}-\d+/.exec(page('h1').text())![0];
      const stored = (await desk.store.get(reference))!;
      await desk.answer(stored, (await desk.actor(OPERATOR))!, 'Risposta riservata al richiedente.');
      const mail = await smtp.next(
        (m) => m.envelopeTo.includes(ADDRESS) && m.parsed.subject === `Risposta alla richiesta ${reference}`,
      );
      expect(mail.parsed.text).to.not.contain('Risposta riservata');
      expect(mail.parsed.text).to.contain('link personale');
    });

    it('lets the anonymous requester rate the answer once the request is closed, through their link', async () => {
      const visitor = request.agent(gateway.app);
      const html = (await visitor.get(follow).expect(200)).text;
      const reference = /URP-\d{4}-\d+/.exec(cheerio.load(html)('h1').text())![0];
      const token = new URL(follow, 'http://x').searchParams.get('token')!;
      const _csrf = csrfTokenFrom(html);
      await visitor.post('/urp/follow/rating').type('form').send({ _csrf, token, stars: '3' }).expect(409);
      await desk.close((await desk.store.get(reference))!, (await desk.actor(OPERATOR))!);
      const closed = cheerio.load((await visitor.get(follow).expect(200)).text);
      expect(closed('input[name="stars"]')).to.have.length(5);
      await visitor.post('/urp/follow/rating').type('form').send({ _csrf, token, stars: '6' }).expect(422);
      await visitor
        .post('/urp/follow/rating')
        .type('form')
        .send({ _csrf, token: 'A'.repeat(43), stars: '3' })
        .expect(404);
      await visitor.post('/urp/follow/rating').type('form').send({ _csrf, token, stars: '3' }).expect(303);
      await visitor.post('/urp/follow/rating').type('form').send({ _csrf, token, stars: '3' }).expect(409);
      await visitor
        .post('/urp/follow/messages')
        .type('form')
        .send({ _csrf, token, text: 'ancora' })
        .expect(409);
      expect(cheerio.load((await visitor.get(follow).expect(200)).text)('.varco-urp-rated')).to.have.length(
        1,
      );
    });

    it('reminds operators who gave an address of the requests waiting past their deadline, once a day', async () => {
      const emails = gateway.deps.citizen.emails;
      await emails.save(emails.refOf(OPERATOR), 'operatore@example.it', 'it');
      const later = Date.now() + 40 * 86_400_000;
      const reminders = gateway.deps.participation.urpReminders;
      expect(await reminders.remind(later)).to.be.greaterThan(0);
      const mail = await smtp.next((m) => m.envelopeTo.includes('operatore@example.it'));
      expect(mail.parsed.subject).to.match(/^URP, dell'URP \(da assegnare\): \d+ richieste scadute/);
      expect(linkIn(mail, `${gateway.config.http.publicUrl}/urp/queue?`)).to.contain('status=received');
      expect(mail.raw).to.not.contain(OPERATOR);
      await reminders.remind(later); // the same day again: the same message id, not sent twice
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(smtp.received.filter((m) => m.envelopeTo.includes('operatore@example.it'))).to.have.length(1);
    });

    it('refuses an expired confirmation link (410) and files nothing', async () => {
      const visitor = request.agent(gateway.app);
      await post(visitor, { ...valid(), email: 'late@example.it' }).then((r) =>
        expect(r.status).to.equal(200),
      );
      const mail = await smtp.next((m) => m.envelopeTo.includes('late@example.it'));
      const link = linkIn(mail, `${gateway.config.http.publicUrl}/urp/confirm?`);
      const client = gateway.redis.client as SingleClient;
      for await (const keys of client.scanIterator({ MATCH: `${gateway.config.redis.prefix}urp:pending:*` }))
        for (const key of keys) await client.del(key); // as the TTL would
      const local = link.replace(gateway.config.http.publicUrl, '');
      const page = await visitor.get(local).expect(410);
      expect(cheerio.load(page.text)('.varco-link-gone')).to.have.length(1);
      const html = (await visitor.get('/urp/new').expect(200)).text;
      await visitor
        .post('/urp/confirm')
        .type('form')
        .send({ _csrf: csrfTokenFrom(html), token: new URL(link).searchParams.get('token') })
        .expect(410);
    });
  });
});

describe('URP desk: posts are limited per client address', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway({
      participation: { urp: { postsPerClient: { windowSeconds: 60, max: 2 } } },
    });
  });
  after(() => gateway.close());

  it('refuses the third request within the window with 429, and files nothing for it', async () => {
    const agent = await logIn(gateway.app, CITIZEN);
    const html = (await agent.get('/urp/new').expect(200)).text;
    const send = () =>
      agent
        .post('/urp/new')
        .type('form')
        .send({ _csrf: csrfTokenFrom(html), ...valid() });
    expect((await send()).status).to.equal(303);
    expect((await send()).status).to.equal(303);
    expect((await send()).status).to.equal(429);
    expect(await gateway.deps.participation.urp.citizenRequests(CITIZEN)).to.have.length(2);
  });
});
