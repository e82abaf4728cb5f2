import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { testBody } from './catalog-fixtures.ts';

const EDITOR = 'RSSMRA80A01H501U';
const STRANGER = 'VRDLGU70M01H501T';

const pick = (from: Record<string, string>, keys: string[]) =>
  Object.fromEntries(keys.map((key) => [key, from[key] ?? '']));

describe('editor pages: a body editor creates and edits services through forms', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
    await gw.deps.catalog.writer.putBody(
      { kind: 'system', id: 'test' },
      testBody('demo_redazione', 'redazione.example.it'),
      { status: 'approved', editors: [EDITOR] },
    );
  });
  after(() => gw.close());

  const form = {
    id: 'redazione-biblioteca',
    title_it: 'Prestito <i>libri</i>',
    title_en: 'Book loans',
    description_it: 'Prendi in prestito i libri della biblioteca.',
    description_en: 'Borrow the library books.',
    whoCanApply_it: 'Tutti.',
    whoCanApply_en: 'Everyone.',
    documents_it: 'Nessuno.',
    documents_en: 'None.',
    costs_it: 'Gratuito.',
    costs_en: 'Free.',
    times_it: 'Subito.',
    times_en: 'At once.',
    topics: ['culture', 'education'],
    lifeEvents: 'culture',
    audience: 'citizens',
    channels: ['online', 'desk'],
    requiredLevel: 'L1',
    integration: 'link',
    link: 'https://redazione.example.it/prestiti?lang={lang}',
    openingHours: 'Mo-Fr 09:00-19:00\nSa 09:00-13:00',
    keywords: 'libri, prestito',
  };

  async function loggedIn(fiscalCode: string) {
    const agent = request.agent(gw.app);
    await agent.get(`/__test/login?fiscalCode=${fiscalCode}&level=2`).expect(200);
    return agent;
  }

  it('creates a draft from the form, edits it, and the audit names the editor', async () => {
    const editor = await loggedIn(EDITOR);
    const page = await editor.get('/editor/bodies/demo_redazione/services/new').expect(200);
    const csrf = csrfTokenFrom(page.text);
    await editor
      .post('/editor/bodies/demo_redazione/services')
      .type('form')
      .send({ ...form, _csrf: csrf })
      .expect(303)
      .expect('Location', '/editor');
    const stored = await gw.deps.catalog.repository.getService('redazione-biblioteca');
    expect(stored).to.deep.include({
      bodyId: 'demo_redazione',
      status: 'draft',
      topics: ['culture', 'education'],
      lifeEvents: ['culture'],
      deepLink: { template: 'https://redazione.example.it/prestiti?lang={lang}' },
    });
    expect(stored?.availability.openingHours).to.deep.equal(['Mo-Fr 09:00-19:00', 'Sa 09:00-13:00']);

    const edit = await editor
      .get('/editor/bodies/demo_redazione/services/redazione-biblioteca/edit')
      .expect(200);
    const $ = cheerio.load(edit.text);
    expect($('#service-title-it').val()).to.equal('Prestito <i>libri</i>');
    expect(edit.text).not.to.contain('<i>libri</i>');
    await editor
      .post('/editor/bodies/demo_redazione/services')
      .type('form')
      .send({ ...form, requiredLevel: 'L2', _csrf: csrf })
      .expect(303);
    const audit = await gw.deps.catalog.repository.auditOf('service', 'redazione-biblioteca');
    expect(audit[0]).to.deep.include({ actor: `citizen:${EDITOR}`, action: 'service.update' });
    expect(audit[0]?.changes).to.deep.equal({ requiredLevel: ['L1', 'L2'] });
  });

  it('re-renders the form with the problems listed (422) for invalid or hostile input', async () => {
    const editor = await loggedIn(EDITOR);
    const csrf = csrfTokenFrom(
      (await editor.get('/editor/bodies/demo_redazione/services/new').expect(200)).text,
    );
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ link: 'javascript:alert(1)' }, 'link'],
      [{ link: 'https://evil.example/x' }, 'link'],
      [{ topics: 'not-a-topic' }, 'topics'],
      [{ title_it: '' }, 'title'],
      [{ openingHours: 'sempre' }, 'openingHours'],
      [{ availabilityNotes_it: 'Chiuso ad agosto.', availabilityNotes_en: '' }, 'availabilityNotes'],
      [{ id: '../etc' }, 'id'],
    ];
    for (const [change, field] of cases) {
      const res = await editor
        .post('/editor/bodies/demo_redazione/services')
        .type('form')
        .send({ ...form, id: 'redazione-ostile', ...change, _csrf: csrf })
        .expect(422);
      const $ = cheerio.load(res.text);
      expect($(`.alert-danger a[href="#service-${field}"]`), field).to.have.length(1);
      // The problem is also said under the field, and every refused input points to it.
      expect($(`#service-${field}-error`).text(), field).to.contain('non è valido');
      expect($(`[aria-describedby~="service-${field}-error"]`).length, field).to.be.greaterThan(0);
      for (const input of $('[aria-invalid="true"]').toArray()) {
        expect($(input).attr('aria-describedby')?.split(' '), field).to.include(`service-${field}-error`);
      }
    }
    expect(await gw.deps.catalog.repository.getService('redazione-ostile')).to.equal(undefined);
    // A two-language field names the language that is missing.
    const onlyItalian = await editor
      .post('/editor/bodies/demo_redazione/services')
      .type('form')
      .send({ ...form, id: 'redazione-ostile', title_it: '   ', _csrf: csrf })
      .expect(422);
    const summary = cheerio.load(onlyItalian.text)('.alert-danger a[href="#service-title"]').text();
    expect(summary).to.contain('(italiano)').and.not.contain('inglese');
    // A bad id does not hide the other problems: all are listed at once.
    const both = await editor
      .post('/editor/bodies/demo_redazione/services')
      .type('form')
      .send({ ...form, id: 'NO SPACES', title_it: '', link: 'javascript:alert(1)', _csrf: csrf })
      .expect(422);
    const $both = cheerio.load(both.text);
    const listed = $both('.alert-danger a').map((_, a) => $both(a).attr('href'));
    expect(listed.get()).to.include.members(['#service-id', '#service-title', '#service-link']);
    expect(await gw.deps.catalog.repository.getService('no-spaces')).to.equal(undefined);
  });

  it('keeps the notes on availability through the form, as the API stored them', async () => {
    const editor = await loggedIn(EDITOR);
    const csrf = csrfTokenFrom(
      (await editor.get('/editor/bodies/demo_redazione/services/new').expect(200)).text,
    );
    const notes = { it: 'Chiuso dal 10 al 20 agosto.', en: 'Closed from 10 to 20 August.' };
    await editor
      .post('/editor/bodies/demo_redazione/services')
      .type('form')
      .send({
        ...form,
        id: 'redazione-note',
        availabilityNotes_it: notes.it,
        availabilityNotes_en: notes.en,
        _csrf: csrf,
      })
      .expect(303);
    expect((await gw.deps.catalog.repository.getService('redazione-note'))?.availability.notes).to.deep.equal(
      notes,
    );
    // The edit form shows them, and saving it unchanged (another field edited) keeps them.
    const $ = cheerio.load(
      (await editor.get('/editor/bodies/demo_redazione/services/redazione-note/edit').expect(200)).text,
    );
    const shown: Record<string, string> = {};
    $('form input[name], form textarea[name]').each((_, el) => {
      const name = $(el).attr('name') as string;
      if (!$(el).is('[type=checkbox]')) shown[name] = String($(el).val() ?? '');
    });
    expect(shown.availabilityNotes_it).to.equal(notes.it);
    await editor
      .post('/editor/bodies/demo_redazione/services')
      .type('form')
      .send({
        ...form,
        id: 'redazione-note',
        ...pick(shown, ['availabilityNotes_it', 'availabilityNotes_en']),
        requiredLevel: 'L2',
        _csrf: csrf,
      })
      .expect(303);
    const stored = await gw.deps.catalog.repository.getService('redazione-note');
    expect(stored?.availability.notes).to.deep.equal(notes);
    expect(stored?.requiredLevel).to.equal('L2');
  });

  it("keeps the service's own office through the form, and an office-less form removes it", async () => {
    const editor = await loggedIn(EDITOR);
    const csrf = csrfTokenFrom(
      (await editor.get('/editor/bodies/demo_redazione/services/new').expect(200)).text,
    );
    const office = {
      office_name_it: 'Sportello prestiti',
      office_name_en: 'Loans desk',
      office_address: 'Via Puccetti 3, 59100 Prato',
      office_phone: '+39 0574 000000',
      office_email: '',
    };
    const save = (fields: Record<string, unknown>) =>
      editor
        .post('/editor/bodies/demo_redazione/services')
        .type('form')
        .send({ ...form, id: 'redazione-sportello', ...fields, _csrf: csrf });
    await save(office).expect(303);
    const stored = await gw.deps.catalog.repository.getService('redazione-sportello');
    expect(stored?.infoSheet.office).to.deep.equal({
      name: { it: 'Sportello prestiti', en: 'Loans desk' },
      address: 'Via Puccetti 3, 59100 Prato',
      phone: '+39 0574 000000',
    });
    const edit = await editor
      .get('/editor/bodies/demo_redazione/services/redazione-sportello/edit')
      .expect(200);
    expect(cheerio.load(edit.text)('#office-address').val()).to.equal('Via Puccetti 3, 59100 Prato');
    const bad = await save({ ...office, office_email: 'not-an-email' }).expect(422);
    expect(cheerio.load(bad.text)('.alert-danger a[href="#service-office"]')).to.have.length(1);
    await save({ ...office, office_address: '' }).expect(422);
    await save({}).expect(303);
    expect((await gw.deps.catalog.repository.getService('redazione-sportello'))?.infoSheet.office).to.equal(
      undefined,
    );
  });

  it("edits the body's profile (not its IPA code or domains); hostile input is refused and escaped", async () => {
    const editor = await loggedIn(EDITOR);
    const home = await editor.get('/editor').expect(200);
    expect(cheerio.load(home.text)('a[href="/editor/bodies/demo_redazione/profile"]')).to.have.length(1);
    const page = await editor.get('/editor/bodies/demo_redazione/profile').expect(200);
    const $ = cheerio.load(page.text);
    expect($('#body-name-it').val()).to.equal('Ente demo_redazione');
    expect($('input[name="domains"], input[name="ipaCode"]')).to.have.length(0);
    const csrf = csrfTokenFrom(page.text);
    const profile = {
      name_it: 'Biblioteca <b>comunale</b>',
      name_en: 'Public library',
      kind: 'library',
      territory: 'Prato',
      email: 'biblioteca@redazione.example.it',
      pec: '',
      phone: '+39 0574 111111',
      website: 'https://redazione.example.it',
      logo: '',
      office_name_it: 'Banco prestiti',
      office_name_en: 'Loans desk',
      office_address: 'Via Puccetti 3, 59100 Prato',
      office_phone: '',
      office_email: '',
      office_openingHours: 'Mo-Fr 09:00-19:00\nSa 09:00-13:00',
    };
    const post = (fields: Record<string, unknown>) =>
      editor
        .post('/editor/bodies/demo_redazione/profile')
        .type('form')
        .send({ ...profile, ...fields, _csrf: csrf });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ website: 'javascript:alert(1)' }, 'website'],
      [{ logo: 'data:image/svg+xml,<svg onload=alert(1)>' }, 'logo'],
      [{ kind: 'castle' }, 'kind'],
      [{ email: 'nope' }, 'email'],
      [{ name_it: '' }, 'name'],
      [{ office_openingHours: 'sempre' }, 'office_openingHours'],
      [{ office_address: '', office_name_it: '', office_name_en: '' }, 'office'],
    ];
    for (const [change, field] of cases) {
      const res = await post(change).expect(422);
      const $ = cheerio.load(res.text);
      expect($(`.alert-danger a[href="#body-${field}"]`), field).to.have.length(1);
      expect($(`#body-${field}-error`).text(), field).to.contain('non è valido');
      expect($(`[aria-describedby~="body-${field}-error"]`).length, field).to.be.greaterThan(0);
    }
    await post({ article: 'the' }).expect(422);
    await post({ domains: 'evil.example', ipaCode: 'altro', article: 'la' }).expect(303);
    expect((await gw.deps.catalog.repository.getBody('demo_redazione'))?.article).to.equal('la');
    const withArticle = await editor.get('/editor/bodies/demo_redazione/profile').expect(200);
    expect(cheerio.load(withArticle.text)('#body-article').val()).to.equal('la');
    await post({ domains: 'evil.example', ipaCode: 'altro' }).expect(303);
    const body = await gw.deps.catalog.repository.getBody('demo_redazione');
    expect(body).to.deep.include({ ipaCode: 'demo_redazione', kind: 'library', status: 'approved' });
    expect(body?.domains).to.deep.equal(['redazione.example.it']);
    expect(body?.editors).to.deep.equal([EDITOR]);
    expect(body?.office?.openingHours).to.deep.equal(['Mo-Fr 09:00-19:00', 'Sa 09:00-13:00']);
    const audit = await gw.deps.catalog.repository.auditOf('body', 'demo_redazione');
    expect(audit[0]).to.deep.include({ actor: `citizen:${EDITOR}`, action: 'body.profile' });
    const again = await editor.get('/editor/bodies/demo_redazione/profile').expect(200);
    expect(again.text).not.to.contain('<b>comunale</b>');
    expect(cheerio.load(again.text)('#body-name-it').val()).to.equal('Biblioteca <b>comunale</b>');

    const stranger = await loggedIn(STRANGER);
    await stranger.get('/editor/bodies/demo_redazione/profile').expect(403);
    const strangerCsrf = csrfTokenFrom((await stranger.get('/editor').expect(200)).text);
    await stranger
      .post('/editor/bodies/demo_redazione/profile')
      .type('form')
      .send({ ...profile, name_it: 'Preso', _csrf: strangerCsrf })
      .expect(403);
    await editor.post('/editor/bodies/demo_redazione/profile').type('form').send(profile).expect(403);
    expect((await gw.deps.catalog.repository.getBody('demo_redazione'))?.name.it).to.equal(
      'Biblioteca <b>comunale</b>',
    );
  });

  it("refuses people who are not the body's editors", async () => {
    const stranger = await loggedIn(STRANGER);
    await stranger.get('/editor/bodies/demo_redazione/services/new').expect(403);
    const csrf = csrfTokenFrom((await stranger.get('/editor').expect(200)).text); // the logout form's token
    await stranger
      .post('/editor/bodies/demo_redazione/services')
      .type('form')
      .send({ ...form, id: 'redazione-intruso', _csrf: csrf })
      .expect(403);
    await request(gw.app)
      .get('/editor/bodies/demo_redazione/services/new')
      .expect(303)
      .expect('Location', '/login?next=%2Feditor%2Fbodies%2Fdemo_redazione%2Fservices%2Fnew');
  });
});
