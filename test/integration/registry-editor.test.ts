import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { testBody } from './catalog-fixtures.ts';

const EDITOR = 'RSSMRA80A01H501U';
const STRANGER = 'VRDLGU70M01H501T';

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
      [{ id: '../etc' }, 'id'],
    ];
    for (const [change, field] of cases) {
      const res = await editor
        .post('/editor/bodies/demo_redazione/services')
        .type('form')
        .send({ ...form, id: 'redazione-ostile', ...change, _csrf: csrf })
        .expect(422);
      expect(cheerio.load(res.text)(`.alert-danger a[href="#service-${field}"]`), field).to.have.length(1);
    }
    expect(await gw.deps.catalog.repository.getService('redazione-ostile')).to.equal(undefined);
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
      .expect('Location', '/login');
  });
});
