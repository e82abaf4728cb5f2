import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createCredentials } from '../../src/registry/credentials.repository.ts';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { linkIn, startSmtpServer, type SmtpTestServer } from '../helpers/smtp.ts';
import { testBody, testService } from './catalog-fixtures.ts';

const ADMIN = 'BNCGVN75L41H501C';
const EDITOR = 'RSSMRA80A01H501U';
const STRANGER = 'VRDLGU70M01H501T';
const ADMIN_EMAIL = 'rete@varco.example.it';

describe('membership: /join → /admin approval → API credential by mail → /editor', () => {
  let gw: TestGateway;
  let smtp: SmtpTestServer;
  before(async () => {
    smtp = await startSmtpServer();
    gw = await createTestGateway({
      registry: { admins: [ADMIN], adminEmails: [ADMIN_EMAIL] },
      mail: { smtpUrl: smtp.url, queue: { workers: true, backoffMs: 10 } },
    });
  });
  after(async () => {
    await gw.close();
    await smtp.close();
  });

  /** Opens a credential link as its recipient would: the page, then its button; the credential, once. */
  async function openCredentialLink(link: string): Promise<string> {
    const url = new URL(link);
    expect(url.origin).to.equal(gw.config.http.publicUrl);
    const browser = request.agent(gw.app);
    const page = await browser.get(`${url.pathname}${url.search}`).expect(200);
    const shown = await browser
      .post('/credential')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), token: url.searchParams.get('token') })
      .expect(200)
      .expect('Cache-Control', 'no-store');
    // Forged and malformed tokens open nothing, and do not use up the real link.
    const real = url.searchParams.get('token') ?? '';
    const forged = `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`;
    for (const token of [forged, 'A'.repeat(43), '../admin', '']) {
      await browser.get(`/credential?token=${encodeURIComponent(token)}`).expect(410);
      await browser
        .post('/credential')
        .type('form')
        .send({ _csrf: csrfTokenFrom(page.text), token })
        .expect(410);
    }
    await browser.post('/credential').type('form').send({ token: forged }).expect(403); // no CSRF token
    // Used once: the same link, opened again, is gone.
    await browser.get(`${url.pathname}${url.search}`).expect(410);
    await browser
      .post('/credential')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), token: url.searchParams.get('token') })
      .expect(410);
    const $shown = cheerio.load(shown.text);
    // Selectable as text without JavaScript; the copy button is the script's, hidden until it runs,
    // and the script carries the page's nonce.
    const copy = $shown('button[data-copy-target="credential-token"]');
    expect(copy.attr('hidden')).to.not.equal(undefined);
    expect($shown('#credential-token').text()).to.equal($shown('.varco-token').text());
    expect($shown('script[src="/assets/js/copy-value.js"]').attr('nonce'))
      .to.be.a('string')
      .and.not.equal('');
    expect($shown('.varco-credential-value .varco-token.text-break')).to.have.length(0);
    await browser
      .get('/assets/js/copy-value.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    return $shown('.varco-token').text();
  }

  const application = {
    ipaCode: 'demo_nuovo_ente',
    name: 'Istituto <b>Comprensivo</b> Nuovo',
    kind: 'school',
    territory: 'Prato',
    signatoryName: 'Anna Bianchi',
    signatoryRole: 'Dirigente scolastica',
    email: 'segreteria@nuovo.example.it',
    technicalEmail: 'tecnico@nuovo.example.it',
    website: 'https://www.nuovo.example.it',
    domains: 'www.nuovo.example.it\nservizi.nuovo.example.it',
    acceptProtocol: 'yes',
  };

  async function loggedIn(fiscalCode: string) {
    const agent = request.agent(gw.app);
    await agent.get(`/__test/login?fiscalCode=${fiscalCode}&level=2`).expect(200);
    return agent;
  }

  it('runs the whole flow end to end', async () => {
    // 1. A body applies (CSRF-protected public form).
    const visitor = request.agent(gw.app);
    const form = await visitor.get('/join').expect(200);
    await visitor.post('/join').type('form').send(application).expect(403); // no token
    const invalid = await visitor
      .post('/join')
      .type('form')
      .send({
        ...application,
        _csrf: csrfTokenFrom(form.text),
        website: 'javascript:alert(1)',
        technicalEmail: 'tecnico@nuovo.example.it\r\nBcc: spy@evil.example',
        acceptProtocol: '',
      })
      .expect(422);
    const $invalid = cheerio.load(invalid.text);
    expect($invalid('#join-technicalEmail').attr('aria-invalid')).to.equal('true');
    expect($invalid('.alert-danger a[href="#join-website"]')).to.have.length(1);
    expect($invalid('.alert-danger a[href="#join-acceptProtocol"]')).to.have.length(1);
    // Each refused field says what is wrong under it, tied to it for screen readers; the others are untouched.
    const website = $invalid('#join-website');
    expect(website.attr('aria-invalid')).to.equal('true');
    expect($invalid(`#${website.attr('aria-describedby')}`).text()).to.contain('https://');
    expect($invalid('#join-acceptProtocol').attr('aria-describedby')).to.equal('join-acceptProtocol-error');
    expect($invalid('#join-acceptProtocol-error').text()).to.contain("protocollo d'intesa");
    expect($invalid('#join-name').attr('aria-invalid')).to.equal(undefined);
    expect($invalid('title').text()).to.match(/^Errore: /);
    await visitor
      .post('/join')
      .type('form')
      .send({ ...application, _csrf: csrfTokenFrom(form.text) })
      .expect(200);
    // The admins are told, in Italian, with the name as text on one line.
    const notice = await smtp.next((m) => m.envelopeTo.includes(ADMIN_EMAIL));
    expect(notice.parsed.subject).to.equal('Nuova richiesta di adesione: Istituto <b>Comprensivo</b> Nuovo');
    expect(notice.parsed.html).to.contain('Istituto &lt;b&gt;Comprensivo&lt;/b&gt; Nuovo');
    expect(linkIn(notice, 'http')).to.equal(`${gw.config.http.publicUrl}/admin`);

    // 2. Only a configured admin reaches /admin.
    await request(gw.app).get('/admin').expect(303).expect('Location', '/login?next=%2Fadmin');
    await (await loggedIn(STRANGER)).get('/admin').expect(403);
    const admin = await loggedIn(ADMIN);
    const page = await admin.get('/admin').expect(200);
    const $ = cheerio.load(page.text);
    // A new credential revokes the current ones: the admin is asked first, on a closed disclosure.
    const rotate = $('form[action$="/credentials"]').first();
    expect(rotate.closest('details.varco-confirm:not([open])')).to.have.length(1);
    expect(rotate.text()).to.contain('revoca subito quelle attuali');
    const card = $('.varco-membership[data-status="pending"]').first();
    expect(card.find('h3').text()).to.contain('Istituto <b>Comprensivo</b> Nuovo'); // shown as text
    const approveAction = card.find('form[action$="/approve"]').attr('action') ?? '';

    // 3. Approval with a bad editor list is refused; with a valid one it creates the body and mails the
    // body's contact the outcome and a one-time link to the credential, which the admin's page never shows.
    await admin
      .post(approveAction)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), editors: 'nope' })
      .expect(422);
    const approved = await admin
      .post(approveAction)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), editors: EDITOR })
      .expect(200);
    const $approved = cheerio.load(approved.text);
    expect($approved('.varco-token')).to.have.length(0);
    expect(approved.text).not.to.match(/c_[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}/);
    expect($approved('.varco-credential-sent').text()).to.contain(application.technicalEmail);
    const outcome = await smtp.next((m) => m.parsed.subject?.startsWith('Adesione') ?? false);
    expect(outcome.envelopeTo).to.deep.equal([application.email]);
    const credentialMail = await smtp.next((m) => m.parsed.subject?.startsWith('Credenziali API') ?? false);
    expect(credentialMail.envelopeTo).to.deep.equal([application.technicalEmail]); // the technical contact
    expect(credentialMail.raw).not.to.match(/c_[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}/); // only the link travels
    const token = await openCredentialLink(linkIn(credentialMail, `${gw.config.http.publicUrl}/credential?`));
    expect(token).to.match(/^c_[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}$/);
    await admin
      .post(approveAction)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), editors: EDITOR })
      .expect(409);
    const body = await gw.deps.catalog.repository.getBody('demo_nuovo_ente');
    expect(body).to.include({ status: 'approved' });
    expect(body?.editors).to.deep.equal([EDITOR]);
    expect(body?.domains).to.deep.equal(['www.nuovo.example.it', 'servizi.nuovo.example.it']);

    // 4. The body's system registers a service with the credential.
    await request(gw.app)
      .put('/api/v1/services/nuovo-iscrizioni')
      .set('Authorization', `Bearer ${token}`)
      .send(testService('servizi.nuovo.example.it', 'Iscrizioni scolastiche Nuovo'))
      .expect(201);

    // 5. The named editor publishes it from /editor; a stranger cannot.
    const editor = await loggedIn(EDITOR);
    const editorPage = await editor.get('/editor').expect(200);
    expect(cheerio.load(editorPage.text)('th').text()).to.contain('nuovo-iscrizioni');
    const stranger = await loggedIn(STRANGER);
    const strangerPage = await stranger.get('/editor').expect(200);
    await stranger
      .post('/editor/services/nuovo-iscrizioni/status')
      .type('form')
      .send({ _csrf: csrfTokenFrom(strangerPage.text), status: 'published' })
      .expect(403);
    await editor
      .post('/editor/services/nuovo-iscrizioni/status')
      .type('form')
      .send({ _csrf: csrfTokenFrom(editorPage.text), status: 'published' })
      .expect(303);
    await request(gw.app).get('/services/nuovo-iscrizioni').expect(200);

    // 6. Rotating the credential revokes the old one; suspending the body hides its services.
    const rotated = await admin
      .post('/admin/bodies/demo_nuovo_ente/credentials')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text) })
      .expect(200);
    expect(cheerio.load(rotated.text)('.varco-token')).to.have.length(0);
    expect(cheerio.load(rotated.text)('.varco-credential-sent').text()).to.contain(
      'precedenti sono revocate',
    );
    // A body's first credential revokes nothing, and the page does not say it did.
    expect(await createCredentials(gw.redis).list('p_po')).to.deep.equal([]);
    const first = await admin
      .post('/admin/bodies/p_po/credentials')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text) })
      .expect(200);
    expect(cheerio.load(first.text)('.varco-credential-sent').text()).to.not.contain('revocate');
    const rotatedMail = await smtp.next(
      (m) => m !== credentialMail && (m.parsed.subject?.startsWith('Credenziali API') ?? false),
    );
    expect(rotatedMail.envelopeTo).to.deep.equal([application.technicalEmail]);
    const fresh = await openCredentialLink(linkIn(rotatedMail, `${gw.config.http.publicUrl}/credential?`));
    await request(gw.app).get('/api/v1/services').set('Authorization', `Bearer ${token}`).expect(401);
    await request(gw.app).get('/api/v1/services').set('Authorization', `Bearer ${fresh}`).expect(200);
    await admin
      .post('/admin/bodies/demo_nuovo_ente/status')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), status: 'suspended' })
      .expect(303);
    await request(gw.app).get('/services/nuovo-iscrizioni').expect(404);
    await request(gw.app).get('/go/nuovo-iscrizioni').expect(404);
    const search = await request(gw.app).get('/services?q=iscrizioni').set('Accept', 'application/json');
    expect(search.body.results.map((r: { id: string }) => r.id)).not.to.include('nuovo-iscrizioni');
    expect((await request(gw.app).get('/catalog.csv').expect(200)).text).not.to.contain('nuovo-iscrizioni');
    expect((await request(gw.app).get('/catalog.jsonld').expect(200)).text).not.to.contain(
      'nuovo-iscrizioni',
    );
    await request(gw.app).get('/api/v1/services').set('Authorization', `Bearer ${fresh}`).expect(403);
  });

  it("an admin sets a body's domains and editors and revokes one API credential; nobody else can", async () => {
    const actor = { kind: 'system' as const, id: 'test' };
    await gw.deps.catalog.writer.putBody(actor, testBody('demo_domini', 'uno.example.it'), {
      status: 'approved',
      editors: [],
    });
    const credentials = createCredentials(gw.redis);
    const kept = await credentials.issue('demo_domini');
    const revoked = await credentials.issue('demo_domini');
    const admin = await loggedIn(ADMIN);
    const page = await admin.get('/admin').expect(200);
    const $ = cheerio.load(page.text);
    const panel = $('.varco-body-admin[data-body="demo_domini"]');
    expect(panel.find('textarea[name="domains"]').text()).to.equal('uno.example.it');
    expect(panel.find('.varco-credential')).to.have.length(2);
    const csrf = csrfTokenFrom(page.text);
    const revokePath = `/admin/bodies/demo_domini/credentials/${revoked.clientId}/revoke`;

    // Strangers, missing tokens and another body's path change nothing.
    const stranger = await loggedIn(STRANGER);
    const strangerCsrf = csrfTokenFrom((await stranger.get('/editor').expect(200)).text);
    await stranger.post(revokePath).type('form').send({ _csrf: strangerCsrf }).expect(403);
    await admin.post(revokePath).type('form').send({}).expect(403);
    await admin
      .post(`/admin/bodies/demo_nuovo_ente/credentials/${revoked.clientId}/revoke`)
      .type('form')
      .send({ _csrf: csrf })
      .expect(404);
    await admin.post(revokePath).type('form').send({ _csrf: csrf }).expect(303);
    await admin.post(revokePath).type('form').send({ _csrf: csrf }).expect(404); // already revoked
    const call = (token: string) =>
      request(gw.app).get('/api/v1/body').set('Authorization', `Bearer ${token}`);
    await call(revoked.token).expect(401);
    await call(kept.token).expect(200);
    const after = cheerio.load((await admin.get('/admin').expect(200)).text);
    expect(after(`.varco-credential[data-client="${revoked.clientId}"] form`)).to.have.length(0);

    // Domains: invalid host names are refused (422) and change nothing; valid ones replace the list.
    const domainsPath = '/admin/bodies/demo_domini/domains';
    for (const bad of ['javascript:alert(1)', 'https://uno.example.it', '', 'a'.repeat(2001)]) {
      await admin.post(domainsPath).type('form').send({ _csrf: csrf, domains: bad }).expect(422);
    }
    await stranger
      .post(domainsPath)
      .type('form')
      .send({ _csrf: strangerCsrf, domains: 'x.example.it' })
      .expect(403);
    expect((await gw.deps.catalog.repository.getBody('demo_domini'))?.domains).to.deep.equal([
      'uno.example.it',
    ]);
    await admin
      .post(domainsPath)
      .type('form')
      .send({ _csrf: csrf, domains: 'Due.Example.it\ntre.example.it, due.example.it' })
      .expect(303);
    const body = await gw.deps.catalog.repository.getBody('demo_domini');
    expect(body?.domains).to.deep.equal(['due.example.it', 'tre.example.it']);
    const audit = await gw.deps.catalog.repository.auditOf('body', 'demo_domini');
    expect(audit[0]).to.include({ action: 'body.domains', actor: `citizen:${ADMIN}` });
    // Links must now use the new domains.
    const put = (domain: string) =>
      request(gw.app)
        .put('/api/v1/services/domini-servizio')
        .set('Authorization', `Bearer ${kept.token}`)
        .send(testService(domain));
    await put('uno.example.it').expect(422);
    await put('tre.example.it').expect(201);

    // Editors: an admin names who may edit the body at /editor; a bad list changes nothing.
    const editorsPath = '/admin/bodies/demo_domini/editors';
    await admin.post(editorsPath).type('form').send({ _csrf: csrf, editors: 'nope' }).expect(422);
    await stranger
      .post(editorsPath)
      .type('form')
      .send({ _csrf: strangerCsrf, editors: STRANGER })
      .expect(403);
    await (await loggedIn(EDITOR)).get('/editor/bodies/demo_domini/profile').expect(403);
    await admin
      .post(editorsPath)
      .type('form')
      .send({ _csrf: csrf, editors: `${EDITOR.toLowerCase()}\n${EDITOR}` })
      .expect(303);
    expect((await gw.deps.catalog.repository.getBody('demo_domini'))?.editors).to.deep.equal([EDITOR]);
    await (await loggedIn(EDITOR)).get('/editor/bodies/demo_domini/profile').expect(200);
    await (await loggedIn(STRANGER)).get('/editor/bodies/demo_domini/profile').expect(403);
  });

  it('offers every kind of body, unions of municipalities and regions included, and refuses others', async () => {
    const visitor = request.agent(gw.app);
    const form = await visitor.get('/join').expect(200);
    const $ = cheerio.load(form.text);
    expect($('select[name="kind"] option[value="union-of-municipalities"]').text().trim()).to.equal(
      'Unione di comuni',
    );
    expect($('select[name="kind"] option[value="region"]').text().trim()).to.equal('Regione');
    const join = (kind: string, ipaCode: string) =>
      visitor
        .post('/join')
        .type('form')
        .send({ ...application, ipaCode, kind, _csrf: csrfTokenFrom(form.text) });
    await join('union-of-municipalities', 'demo_unione_val').expect(200);
    await join('republic', 'demo_altro_ente').expect(422);
  });

  it('a rejection keeps its reason and creates nothing', async () => {
    const visitor = request.agent(gw.app);
    const form = await visitor.get('/join').expect(200);
    await visitor
      .post('/join')
      .type('form')
      .send({ ...application, ipaCode: 'demo_respinto', _csrf: csrfTokenFrom(form.text) })
      .expect(200);
    const admin = await loggedIn(ADMIN);
    const page = await admin.get('/admin').expect(200);
    const $ = cheerio.load(page.text);
    const card = $('.varco-membership[data-status="pending"]').filter((_, el) =>
      $(el).text().includes('demo_respinto'),
    );
    // The reason sits in the rejection's own section, never among the approval's fields.
    expect(card.find('form[action$="/approve"] input[name="reason"]')).to.have.length(0);
    const rejectSection = card.find('section.varco-reject');
    expect(rejectSection.find('h4').text()).to.equal('Respingere la richiesta?');
    expect(rejectSection.find('label[for^="reason-"]').text()).to.contain('Motivo del rifiuto');
    const action = rejectSection.find('form[action$="/reject"]').attr('action') ?? '';
    await admin
      .post(action)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), reason: '' })
      .expect(422);
    await admin
      .post(action)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), reason: 'Codice IPA errato' })
      .expect(303);
    const after = cheerio.load((await admin.get('/admin').expect(200)).text);
    expect(after('.varco-membership[data-status="rejected"]').text()).to.contain('Codice IPA errato');
    const rejection = await smtp.next((m) => m.parsed.subject?.startsWith('Richiesta di adesione') ?? false);
    expect(rejection.envelopeTo).to.deep.equal([application.email]);
    expect(rejection.parsed.text).to.contain('Motivo: Codice IPA errato');
    expect(await gw.deps.catalog.repository.getBody('demo_respinto')).to.equal(undefined);
  });
});
