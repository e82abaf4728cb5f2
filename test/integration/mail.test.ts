import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { childFiscalCode } from '../../src/demo/body-systems/child-fiscal-code.ts';
import { createTestGateway, csrfTokenFrom, testCitizen, type TestGateway } from '../helpers/gateway.ts';
import { startTestRedisServer } from '../helpers/redis-server.ts';
import { newbornForm } from '../helpers/procedures.ts';
import { linkIn, startSmtpServer, type SmtpTestServer } from '../helpers/smtp.ts';

const CITIZEN = 'RSSMRA80A01H501U';
const ADMIN_EMAIL = 'rete@varco.example.it';

describe('mail: queued, sent by SMTP, citizens opting in to news of their cases', function () {
  this.timeout(30_000);
  let smtp: SmtpTestServer;
  let gw: TestGateway;
  before(async () => {
    smtp = await startSmtpServer({ refuse: (address) => address.endsWith('@refused.example.it') });
    gw = await createTestGateway({
      registry: { adminEmails: [ADMIN_EMAIL] },
      mail: { smtpUrl: smtp.url, queue: { workers: true, backoffMs: 10, attempts: 3 } },
      procedures: { delivery: { workers: false } },
    });
  });
  after(async () => {
    await gw.close();
    await smtp.close();
  });

  async function loggedIn(lang: 'it' | 'en') {
    const agent = request.agent(gw.app);
    await agent.get(`/__test/login?fiscalCode=${CITIZEN}&level=2`).expect(200);
    await agent.get(`/lang/${lang}`).expect(303);
    return agent;
  }

  it('confirms an address by a one-time link, then tells the citizen in their language when a case moves', async () => {
    const agent = await loggedIn('en');
    const me = await agent.get('/me').expect(200);
    expect(cheerio.load(me.text)('.varco-me-email form[action="/me/email"]')).to.have.length(1);
    const csrf = csrfTokenFrom(me.text);

    // Invalid addresses, header injection included, are refused (422) and send nothing.
    for (const bad of ['not-an-address', 'mario@example.it\r\nBcc: spy@evil.example', 'a@b', '']) {
      const refused = await agent
        .post('/me/email')
        .type('form')
        .send({ _csrf: csrf, email: bad })
        .expect(422);
      expect(cheerio.load(refused.text)('#me-email').attr('aria-invalid')).to.equal('true');
    }
    await agent.post('/me/email').type('form').send({ email: 'mario@example.it' }).expect(403); // no CSRF token

    await agent.post('/me/email').type('form').send({ _csrf: csrf, email: ' Mario@Example.it ' }).expect(200);
    const confirmation = await smtp.next((m) => m.envelopeTo.includes('mario@example.it'));
    expect(confirmation.envelopeTo).to.deep.equal(['mario@example.it']);
    expect(confirmation.parsed.subject).to.match(/^Confirm your e-mail address/);
    const link = new URL(linkIn(confirmation, `${gw.config.http.publicUrl}/me/email/confirm?`));
    // Stored encrypted, under the citizen's reference: no key or value shows the address.
    const dump = await gw.redis.client.keys(`${gw.config.redis.prefix}*`);
    for (const key of dump) expect(key).not.to.contain('mario');

    // The link's page only shows a button (a scanner following it confirms nothing); forged tokens are gone.
    const stranger = request.agent(gw.app);
    const page = await stranger.get(`${link.pathname}${link.search}`).expect(200);
    await stranger.get('/me/email/confirm?token=' + 'A'.repeat(43)).expect(410);
    await stranger.get('/me/email/confirm?token=%0d%0a').expect(410);
    const token = link.searchParams.get('token') ?? '';
    const post = (t: string) =>
      stranger
        .post('/me/email/confirm')
        .type('form')
        .send({ _csrf: csrfTokenFrom(page.text), token: t });
    await post(`${token.slice(0, -1)}x`).expect(410);
    await post(token).expect(200);
    await post(token).expect(410); // used once
    expect(
      cheerio
        .load((await agent.get('/me').expect(200)).text)('.varco-me-email')
        .text(),
    ).to.contain('mario@example.it');

    // A case moves: a step completed, then one rejected (which ends the case once the others are).
    const engine = gw.deps.procedures;
    const record = await engine.cases.confirm(
      engine.procedures.get('newborn')!,
      testCitizen(),
      newbornForm(),
    );
    const child = childFiscalCode({
      givenName: 'Giulia',
      familyName: 'Bianchi',
      sex: 'F',
      birthDate: '2026-01-01',
      municipalityCode: 'G999',
    });
    await engine.cases.report(record.id, 'birth-registration', {
      status: 'completed',
      outputs: { childFiscalCode: child, birthRecord: 'Atto 1' },
    });
    const completed = await smtp.next((m) => m.parsed.subject?.includes('a step is completed') ?? false);
    expect(completed.envelopeTo).to.deep.equal(['mario@example.it']);
    expect(linkIn(completed, 'http')).to.equal(`${gw.config.http.publicUrl}/cases/${record.id}`);
    expect(completed.raw).not.to.contain(child); // no personal data of the case in the mail
    await engine.cases.report(record.id, 'health-enrolment', {
      status: 'rejected',
      reason: 'Pediatra <pieno>',
    });
    const rejected = await smtp.next((m) => m.parsed.subject?.includes('was not accepted') ?? false);
    expect(rejected.parsed.text).to.contain('Reason given: Pediatra <pieno>');
    expect(rejected.parsed.html).to.contain('Pediatra &lt;pieno&gt;');
    // A duplicate report changes nothing and sends nothing more.
    await engine.cases.report(record.id, 'health-enrolment', { status: 'rejected', reason: 'again' });

    // Stopping: no more mail for this citizen.
    await agent.post('/me/email/remove').type('form').send({ _csrf: csrf }).expect(303);
    expect(await gw.deps.citizen.emails.of(CITIZEN)).to.equal(undefined);
    const before = smtp.received.length;
    await engine.cases.report(record.id, 'assegno-unico', { status: 'rejected', reason: 'x' });
    await engine.cases.report(record.id, 'birth-bonus', { status: 'rejected', reason: 'x' });
    await engine.cases.report(record.id, 'nursery-enrolment', { status: 'rejected', reason: 'x' });
    expect((await engine.cases.get(record.id))?.status).to.equal('closed');
    // A message queued after the case closed, to an admin, proves the queue moved past anything queued before.
    await gw.deps.mail.queue.send('test-marker.1', {
      to: ADMIN_EMAIL,
      subject: 'marker',
      text: 't',
      html: 'h',
    });
    await smtp.next((m) => m.parsed.subject === 'marker');
    expect(smtp.received.slice(before).map((m) => m.parsed.subject)).to.deep.equal(['marker']);
  });

  it('an expired confirmation link is gone', async () => {
    const agent = await loggedIn('it');
    const csrf = csrfTokenFrom((await agent.get('/me').expect(200)).text);
    await agent.post('/me/email').type('form').send({ _csrf: csrf, email: 'scade@example.it' }).expect(200);
    const mail = await smtp.next((m) => m.envelopeTo.includes('scade@example.it'));
    expect(mail.parsed.subject).to.match(/^Conferma il tuo indirizzo/);
    const link = new URL(linkIn(mail, `${gw.config.http.publicUrl}/me/email/confirm?`));
    // Its record expires in Redis (as after 24 h).
    const [key] = await gw.redis.client.keys(`${gw.config.redis.prefix}mail:confirm:*`);
    expect(await gw.redis.client.ttl(key!)).to.be.within(1, 24 * 60 * 60);
    await gw.redis.client.pExpire(key!, 1);
    while ((await gw.redis.client.exists(key!)) === 1) await new Promise((r) => setImmediate(r));
    await request(gw.app).get(`${link.pathname}${link.search}`).expect(410);
  });

  it('sends a message once however often it is queued, and stops at a permanent refusal', async () => {
    const message = { to: ADMIN_EMAIL, subject: 'once', text: 'once', html: '<p>once</p>' };
    await gw.deps.mail.queue.send('test-once.1', message);
    await gw.deps.mail.queue.send('test-once.1', message);
    await smtp.next((m) => m.parsed.subject === 'once');
    await gw.deps.mail.queue.send('test-once.1', message); // after it was sent, too
    await gw.deps.mail.queue.send('test-after.1', { ...message, subject: 'after' });
    await smtp.next((m) => m.parsed.subject === 'after');
    expect(smtp.received.filter((m) => m.parsed.subject === 'once')).to.have.length(1);
    expect(smtp.received.find((m) => m.parsed.subject === 'once')?.parsed.messageId).to.equal(
      `<test-once.1@${new URL(gw.config.http.publicUrl).hostname}>`,
    );

    await gw.deps.mail.queue.send('test-refused.1', { ...message, to: 'nobody@refused.example.it' });
    for (;;) {
      const counts = await gw.deps.mail.queue.counts();
      if (counts.failed === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(smtp.received.filter((m) => m.envelopeTo.includes('nobody@refused.example.it'))).to.have.length(0);
  });
});

describe('mail: queued durably while no worker runs; demo mode keeps a copy in the mailbox', function () {
  this.timeout(30_000);

  it('a message queued by an instance without a worker is sent by the next one, and shown at /demo/mailbox', async () => {
    const prefix = `varco-test:mail-${Date.now().toString(36)}:`;
    const first = await createTestGateway({
      redis: { prefix },
      registry: { adminEmails: [ADMIN_EMAIL] },
      mail: { queue: { workers: false } },
    });
    const visitor = request.agent(first.app);
    const form = await visitor.get('/join').expect(200);
    await visitor
      .post('/join')
      .type('form')
      .send({
        _csrf: csrfTokenFrom(form.text),
        ipaCode: 'demo_posta',
        name: 'Ente\r\nBcc: spy@evil.example',
        kind: 'school',
        territory: 'Prato',
        signatoryName: 'Anna Bianchi',
        signatoryRole: 'Dirigente',
        email: 'segreteria@posta.example.it',
        website: 'https://www.posta.example.it',
        domains: 'www.posta.example.it',
        acceptProtocol: 'yes',
      })
      .expect(200);
    expect((await first.deps.mail.queue.counts()).wait).to.equal(1);
    const empty = await request(first.app).get('/demo/mailbox').expect(200);
    expect(cheerio.load(empty.text)('.varco-mailbox-empty')).to.have.length(1);
    await first.deps.close(); // the instance stops; its Redis keys stay

    const second = await createTestGateway({
      redis: { prefix },
      registry: { adminEmails: [ADMIN_EMAIL] },
      mail: { queue: { workers: true } },
    });
    try {
      let page = cheerio.load('');
      while (page('.varco-mail').length === 0)
        page = cheerio.load((await request(second.app).get('/demo/mailbox').expect(200)).text);
      expect(page('.varco-mail-to').text()).to.equal(ADMIN_EMAIL);
      // The name typed in the form stays in the subject's one line: no header of its own.
      expect(page('.varco-mail-subject').text()).to.equal(
        'Nuova richiesta di adesione: Ente Bcc: spy@evil.example',
      );
    } finally {
      await second.close();
      await first.redis.close();
    }
  });
});

describe('mail: nothing lost when Redis restarts (append-only file) while the relay is down', function () {
  this.timeout(60_000);

  it('keeps a queued message across a Redis kill -9 and sends it once when the relay comes back', async () => {
    const redisServer = await startTestRedisServer({ appendOnly: true });
    const relay = await startSmtpServer();
    const port = Number(new URL(relay.url).port);
    await relay.close(); // the relay is down for now
    const gw = await createTestGateway({
      redis: { url: redisServer.url },
      // A message being tried when Redis dies stays "active" until its lock lapses: a short lock, as the
      // delivery tests use, lets the stalled-job check take it back within the test.
      mail: { smtpUrl: relay.url, queue: { workers: true, attempts: 30, backoffMs: 100, lockMs: 1000 } },
    });
    let back: SmtpTestServer | undefined;
    try {
      const message = { to: ADMIN_EMAIL, subject: 'durable', text: 'durable', html: '<p>durable</p>' };
      await gw.deps.mail.queue.send('test-durable.1', message);
      await redisServer.kill('SIGKILL');
      await redisServer.start();
      while (!gw.redis.isUp()) await new Promise((r) => setTimeout(r, 50));
      await gw.deps.mail.queue.send('test-durable.1', message); // queued again after the restart: still one

      back = await startSmtpServer({ port });
      await back.next((m) => m.parsed.subject === 'durable');
      await gw.deps.mail.queue.send('test-durable.2', { ...message, subject: 'after' });
      await back.next((m) => m.parsed.subject === 'after');
      expect(back.received.filter((m) => m.parsed.subject === 'durable')).to.have.length(1);
    } finally {
      await gw.close();
      await back?.close();
      await redisServer.dispose();
    }
  });
});
