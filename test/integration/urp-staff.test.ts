import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { UrpDesk } from '../../src/participation/urp/urp.service.ts';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { logIn, type Agent } from '../helpers/journeys.ts';

const ADMIN = 'NRELNE66D44G999Z';
const EDITOR = 'BNCGNN70C03G999Y';
const OPERATOR = 'VRDLGU75B02D612X';
const ANSWERER = 'GLLPLA80A41G999K';
const CITIZEN = 'RSSMRA80A01H501U';
const COMUNE = 'c_g999';
const PROVINCIA = 'p_po';
const SYSTEM = { kind: 'system' as const, id: 'urp-test' };

async function postForm(agent: Agent, page: string, action: string, fields: Record<string, string>) {
  const html = (await agent.get(page).expect(200)).text;
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: csrfTokenFrom(html), ...fields });
}

const refsOf = (html: string) =>
  cheerio
    .load(html)('.varco-urp-queue tbody th a')
    .map((_, a) => cheerio.load(a).text())
    .get();

describe('URP desk: operators, answerers and their queues', function () {
  this.timeout(30_000);
  let gateway: TestGateway;
  let desk: UrpDesk;
  let admin: Agent;
  let editor: Agent;
  let operator: Agent;
  let answerer: Agent;
  let citizen: Agent;
  let unknownRef: string;
  let provinciaRef: string;

  before(async () => {
    gateway = await createTestGateway({
      registry: { admins: [ADMIN] },
      rateLimit: { forms: { windowSeconds: 60, max: 10_000 } },
    });
    desk = gateway.deps.participation.urp;
    await gateway.deps.catalog.writer.setEditors(SYSTEM, COMUNE, [EDITOR]);
    admin = await logIn(gateway.app, ADMIN);
    editor = await logIn(gateway.app, EDITOR);
    operator = await logIn(gateway.app, OPERATOR);
    answerer = await logIn(gateway.app, ANSWERER);
    citizen = await logIn(gateway.app, CITIZEN);
    unknownRef = (
      await desk.fileForCitizen(
        CITIZEN,
        { kind: 'information', topic: 'taxes', body: 'unknown', text: 'Come pago la TARI?' },
        'it',
      )
    ).ref;
    provinciaRef = (
      await desk.fileForCitizen(
        CITIZEN,
        { kind: 'complaint', topic: 'roads', body: PROVINCIA, text: 'Strada provinciale dissestata.' },
        'it',
      )
    ).ref;
  });
  after(() => gateway.close());

  it('admins name URP operators by fiscal code; nobody else can', async () => {
    await postForm(citizen, '/urp/new', '/admin/urp/add', { fiscalCode: CITIZEN }).then((r) =>
      expect(r.status).to.equal(403),
    );
    const bad = await postForm(admin, '/admin/urp', '/admin/urp/add', { fiscalCode: 'not-a-code' });
    expect(bad.headers.location).to.equal('/admin/urp?invalid=1');
    await postForm(admin, '/admin/urp', '/admin/urp/add', { fiscalCode: OPERATOR.toLowerCase() }).then((r) =>
      expect(r.status).to.equal(303),
    );
    const page = cheerio.load((await admin.get('/admin/urp').expect(200)).text);
    expect(
      page('.varco-urp-people li span.font-monospace')
        .map((_, e) => cheerio.load(e).text())
        .get(),
    ).to.include(OPERATOR);
    expect(await desk.people.operators.list()).to.include(OPERATOR);
    await citizen.get('/admin/urp').expect(403);
  });

  it("a body's editors name its answerers; an editor of another body cannot", async () => {
    await editor.get(`/editor/bodies/${PROVINCIA}/urp`).expect(403);
    await postForm(editor, `/editor/bodies/${COMUNE}/urp`, `/editor/bodies/${PROVINCIA}/urp/add`, {
      fiscalCode: ANSWERER,
    }).then((r) => expect(r.status).to.equal(403));
    await postForm(editor, `/editor/bodies/${COMUNE}/urp`, `/editor/bodies/${COMUNE}/urp/add`, {
      fiscalCode: ANSWERER,
    }).then((r) => expect(r.status).to.equal(303));
    expect(await desk.people.answerers.list(COMUNE)).to.include(ANSWERER);
    expect(await desk.people.answerers.list(PROVINCIA)).to.deep.equal([]);
    const me = cheerio.load((await answerer.get('/me').expect(200)).text);
    expect(me(`.varco-urp-staff-links a[href="/urp/bodies/${COMUNE}/queue"]`)).to.have.length(1);
    // Removed, they no longer answer for the body, nor does their personal area link its queue; named
    // again, both come back.
    await postForm(editor, `/editor/bodies/${COMUNE}/urp`, `/editor/bodies/${COMUNE}/urp/remove`, {
      fiscalCode: ANSWERER,
    }).then((r) => expect(r.status).to.equal(303));
    expect(await desk.people.answerers.bodiesOf(ANSWERER)).to.deep.equal([]);
    const removed = cheerio.load((await answerer.get('/me').expect(200)).text);
    expect(removed(`.varco-urp-staff-links a[href="/urp/bodies/${COMUNE}/queue"]`)).to.have.length(0);
    await answerer.get(`/urp/bodies/${COMUNE}/queue`).expect(403);
    await postForm(editor, `/editor/bodies/${COMUNE}/urp`, `/editor/bodies/${COMUNE}/urp/add`, {
      fiscalCode: ANSWERER,
    }).then((r) => expect(r.status).to.equal(303));
    expect(await desk.people.answerers.bodiesOf(ANSWERER)).to.deep.equal([COMUNE]);
  });

  it('operators see every request, filter the queue, and bad filters are a 400', async () => {
    const all = (await operator.get('/urp/queue').expect(200)).text;
    expect(refsOf(all)).to.include.members([unknownRef, provinciaRef]);
    // The demo mode's seeded requests are in the queues too (src/demo/urp-seed.ts).
    const received = refsOf((await operator.get('/urp/queue?status=received').expect(200)).text);
    expect(received).to.include(unknownRef).and.not.include(provinciaRef);
    expect(refsOf((await operator.get(`/urp/queue?body=${PROVINCIA}`).expect(200)).text)).to.deep.equal([
      provinciaRef,
    ]);
    expect(
      refsOf((await operator.get('/urp/queue?kind=complaint&topic=roads').expect(200)).text),
    ).to.deep.equal([provinciaRef]);
    expect(refsOf((await operator.get('/urp/queue?due=overdue').expect(200)).text)).to.deep.equal([]);
    for (const bad of [
      'status=lost',
      'kind=petition',
      'topic=x',
      'due=yesterday',
      'body=../x',
      'page=0',
      'extra=1',
    ])
      await operator.get(`/urp/queue?${bad}`).expect(400);
    await citizen.get('/urp/queue').expect(403);
    await answerer.get('/urp/queue').expect(403);
  });

  it('operators route, re-route (history kept), note and answer; the citizen never sees the notes', async () => {
    const page = `/urp/requests/${unknownRef}`;
    await postForm(operator, page, `${page}/route`, { body: 'c_nowhere' }).then((r) =>
      expect(r.status).to.equal(422),
    );
    await operator.post(`${page}/route`).type('form').send({ body: COMUNE }).expect(403); // no form token
    await postForm(operator, page, `${page}/route`, { body: PROVINCIA }).then((r) =>
      expect(r.status).to.equal(303),
    );
    await postForm(operator, page, `${page}/route`, { body: COMUNE }).then((r) =>
      expect(r.status).to.equal(303),
    );
    await postForm(operator, page, `${page}/note`, { text: 'Riservato: sentire il tributi.' }).then((r) =>
      expect(r.status).to.equal(303),
    );
    await postForm(operator, page, `${page}/note`, { text: '' }).then((r) => expect(r.status).to.equal(422));
    const shown = cheerio.load((await operator.get(page).expect(200)).text);
    expect(shown('.varco-urp-history li')).to.have.length(2);
    expect(shown('.varco-urp-notes').text()).to.contain('Riservato');
    expect(shown('.varco-urp-status').text()).to.equal("Inoltrata all'ente");
    const mine = (await citizen.get(`/me/requests/${unknownRef}`).expect(200)).text;
    expect(mine).to.not.contain('Riservato');
  });

  it("answerers see only their body's requests: another body's is a 404, another body's queue a 403", async () => {
    const queue = (await answerer.get(`/urp/bodies/${COMUNE}/queue`).expect(200)).text;
    expect(refsOf(queue)).to.include(unknownRef).and.not.include(provinciaRef);
    expect(refsOf(queue)).to.have.length(3); // and the two demo requests passed on to the Comune
    await answerer.get(`/urp/bodies/${COMUNE}/requests/${provinciaRef}`).expect(404);
    await answerer.get(`/urp/bodies/${PROVINCIA}/queue`).expect(403);
    await answerer.get(`/urp/bodies/${PROVINCIA}/requests/${provinciaRef}`).expect(403);
    await answerer.get(`/urp/requests/${provinciaRef}`).expect(403);
    await citizen.get(`/urp/bodies/${COMUNE}/queue`).expect(403);
    const page = `/urp/bodies/${COMUNE}/requests/${unknownRef}`;
    const html = (await answerer.get(page).expect(200)).text;
    expect(cheerio.load(html)(`form[action$="/route"]`)).to.have.length(0);
    await postForm(answerer, page, `/urp/bodies/${COMUNE}/requests/${provinciaRef}/answer`, {
      text: 'no',
    }).then((r) => expect(r.status).to.equal(404));
    await postForm(answerer, page, `/urp/requests/${unknownRef}/route`, { body: COMUNE }).then((r) =>
      expect(r.status).to.equal(403),
    );
    await postForm(answerer, page, `${page}/answer`, {
      text: '<b>La TARI</b> si paga con il modello F24.',
    }).then((r) => expect(r.status).to.equal(303));
    await postForm(answerer, page, `${page}/close`, {}).then((r) => expect(r.status).to.equal(303));
    await postForm(answerer, page, `${page}/answer`, { text: 'ancora' }).then((r) =>
      expect(r.status).to.equal(409),
    );
    const seen = cheerio.load((await citizen.get(`/me/requests/${unknownRef}`).expect(200)).text);
    expect(seen('.varco-urp-from-body .varco-urp-text').text()).to.equal(
      '<b>La TARI</b> si paga con il modello F24.',
    );
    expect(seen('.varco-urp-status').text()).to.equal('Chiusa');
  });

  it("shows a queue's satisfaction with its answers, counted without the requester", async () => {
    const closed = await desk.fileForCitizen(
      CITIZEN,
      { kind: 'suggestion', topic: 'culture', body: COMUNE, text: 'Aprite la biblioteca la domenica.' },
      'it',
    );
    const actor = (await desk.actor(ANSWERER, COMUNE))!;
    await desk.rate(await desk.close(closed, actor), 4);
    const page = cheerio.load((await answerer.get(`/urp/bodies/${COMUNE}/queue`).expect(200)).text);
    expect(page('.varco-urp-satisfaction').text()).to.contain('4 su 5 (1 valutazione)');
  });

  it('keeps answer templates per body and fills an answer from one', async () => {
    const templates = `/urp/bodies/${COMUNE}/templates`;
    const text = 'Gentile utente, la TARI si paga con il modello F24 inviato a casa.';
    await postForm(answerer, templates, `${templates}/save`, { name: 'TARI', text }).then((r) =>
      expect(r.status).to.equal(303),
    );
    for (const bad of [
      { name: 'x', text },
      { name: 'TARI\nBcc', text },
      { name: 'Vuoto', text: '' },
    ])
      await postForm(answerer, templates, `${templates}/save`, bad).then((r) =>
        expect(r.status).to.equal(422),
      );
    const page = cheerio.load((await answerer.get(templates).expect(200)).text);
    expect(page('.varco-urp-templates h2').text()).to.equal('TARI');
    // The URP's own templates are others; a body's are its answerers' only.
    const network = cheerio.load((await operator.get('/urp/templates').expect(200)).text);
    expect(network('.varco-urp-templates')).to.have.length(0);
    await operator.get(templates).expect(403);
    await answerer.get('/urp/bodies/p_po/templates').expect(403);
    const ref = (
      await desk.fileForCitizen(
        CITIZEN,
        { kind: 'information', topic: 'taxes', body: COMUNE, text: 'Come pago la TARI?' },
        'it',
      )
    ).ref;
    const filled = cheerio.load(
      (await answerer.get(`/urp/bodies/${COMUNE}/requests/${ref}?template=TARI`).expect(200)).text,
    );
    expect(filled('#urp-answer').text()).to.equal(text);
    const unknown = cheerio.load(
      (await answerer.get(`/urp/bodies/${COMUNE}/requests/${ref}?template=nope`).expect(200)).text,
    );
    expect(unknown('#urp-answer').text()).to.equal('');
    await postForm(answerer, templates, `${templates}/remove`, { name: 'TARI' }).then((r) =>
      expect(r.status).to.equal(303),
    );
    expect(await desk.people.templates.list(COMUNE)).to.deep.equal([]);
  });

  it('publishes a suggestion whose author agreed, as the URP wrote it, and withdraws it', async () => {
    const form = (await citizen.get('/urp/new?kind=suggestion').expect(200)).text;
    expect(cheerio.load(form)('#urp-kind-suggestion').attr('checked')).to.not.equal(undefined);
    const filed = await citizen
      .post('/urp/new')
      .type('form')
      .send({
        _csrf: csrfTokenFrom(form),
        kind: 'suggestion',
        topic: 'culture',
        body: COMUNE,
        text: 'Biblioteca aperta la domenica. Scrivetemi: mario@example.it',
        publish: 'yes',
      })
      .expect(303);
    const ref = /URP-\d{4}-\d+/.exec(filed.headers.location!)![0];
    const page = `/urp/requests/${ref}`;
    const shown = cheerio.load((await operator.get(page).expect(200)).text);
    expect(shown('#urp-public-text').text()).to.equal('Biblioteca aperta la domenica. Scrivetemi: [e-mail]');
    // Only operators publish; only suggestions whose authors agreed; never an empty text.
    await postForm(answerer, `/urp/bodies/${COMUNE}/requests/${ref}`, `${page}/publish`, {
      text: 'Testo pubblico.',
    }).then((r) => expect(r.status).to.equal(403));
    await postForm(operator, page, `${page}/publish`, { text: '' }).then((r) =>
      expect(r.status).to.equal(422),
    );
    const withoutConsent = await desk.fileForCitizen(
      CITIZEN,
      { kind: 'suggestion', topic: 'culture', body: COMUNE, text: 'Una proposta riservata.' },
      'it',
    );
    await postForm(operator, page, `/urp/requests/${withoutConsent.ref}/publish`, {
      text: 'Una proposta.',
    }).then((r) => expect(r.status).to.equal(409));
    await postForm(operator, page, `/urp/requests/${provinciaRef}/publish`, { text: 'Un reclamo.' }).then(
      (r) => expect(r.status).to.equal(409),
    );
    await postForm(operator, page, `${page}/publish`, {
      text: 'Aprire la <b>biblioteca</b> la domenica.',
      answer: 'Dal prossimo mese, in via sperimentale.',
    }).then((r) => expect(r.status).to.equal(303));
    const list = await request(gateway.app).get('/urp/suggestions').expect(200);
    const $ = cheerio.load(list.text);
    expect($('.varco-urp-public-text').first().text()).to.equal('Aprire la <b>biblioteca</b> la domenica.');
    expect($('.varco-urp-public-answer').first().text()).to.equal('Dal prossimo mese, in via sperimentale.');
    expect(list.text).to.not.contain('mario@example.it').and.not.contain(ref).and.not.contain(CITIZEN);
    await request(gateway.app).get('/urp/suggestions?page=0').expect(400);
    await postForm(operator, page, `${page}/unpublish`, {}).then((r) => expect(r.status).to.equal(303));
    expect(list.text).to.contain('Aprire la &lt;b&gt;biblioteca&lt;/b&gt; la domenica.');
    const after = (await request(gateway.app).get('/urp/suggestions').expect(200)).text;
    expect(after).to.not.contain('Aprire la &lt;b&gt;biblioteca&lt;/b&gt; la domenica.');
  });

  it('flags overdue requests in the queues', async () => {
    const now = Date.now();
    const ref = await desk.store.nextReference(now);
    await desk.store.create({
      ref,
      kind: 'report',
      topic: 'waste',
      chosenBody: COMUNE,
      assigned: COMUNE,
      status: 'assigned',
      filedAt: now - 40 * 86_400_000,
      dueAt: now - 10 * 86_400_000,
      deadlineDays: 30,
      lang: 'it',
      channel: 'web',
      text: 'Rifiuti abbandonati da settimane.',
      rated: false,
    });
    const html = (await answerer.get(`/urp/bodies/${COMUNE}/queue?due=overdue`).expect(200)).text;
    expect(refsOf(html)).to.deep.equal([ref]);
    expect(cheerio.load(html)('.varco-overdue').text()).to.contain('10');
  });
});
