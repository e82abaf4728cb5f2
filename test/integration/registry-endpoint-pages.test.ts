import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { testBody } from './catalog-fixtures.ts';

const EDITOR_A = 'RSSMRA80A01H501U';
const EDITOR_B = 'VRDLGU70M01H501T';
const system = { kind: 'system' as const, id: 'test' };

describe('editor pages: body editors manage their procedure endpoints', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
    const { writer } = gw.deps.catalog;
    await writer.putBody(system, testBody('demo_pep_a', 'a.example.it'), {
      status: 'approved',
      editors: [EDITOR_A],
    });
    await writer.putBody(system, testBody('demo_pep_b', 'b.example.it'), {
      status: 'approved',
      editors: [EDITOR_B],
    });
    await writer.putEndpoint(system, 'demo_pep_b', 'segreto', {
      title: { it: 'Di B', en: "B's" },
      url: 'https://b.example.it/steps',
      handles: ['newborn.birth-registration'],
    });
  });
  after(() => gw.close());

  const form = {
    id: 'anagrafe-nascite',
    title_it: 'Anagrafe <b>nascite</b>',
    title_en: 'Births registry',
    url: 'https://a.example.it/varco/steps',
    handles: 'newborn.birth-registration\nnewborn.residence',
  };

  async function loggedIn(fiscalCode: string) {
    const agent = request.agent(gw.app);
    await agent.get(`/__test/login?fiscalCode=${fiscalCode}&level=2`).expect(200);
    return agent;
  }

  it('creates, lists (escaped), edits and disables an endpoint; the audit names the editor', async () => {
    const editor = await loggedIn(EDITOR_A);
    const page = await editor.get('/editor/bodies/demo_pep_a/endpoints/new').expect(200);
    expect(page.text).to.contain('a.example.it');
    await editor
      .post('/editor/bodies/demo_pep_a/endpoints')
      .type('form')
      .send({ ...form, _csrf: csrfTokenFrom(page.text) })
      .expect(303)
      .expect('Location', '/editor');
    const stored = await gw.deps.catalog.endpoints.get('demo_pep_a', 'anagrafe-nascite');
    expect(stored).to.deep.include({
      status: 'active',
      url: 'https://a.example.it/varco/steps',
      handles: ['newborn.birth-registration', 'newborn.residence'],
    });

    const home = await editor.get('/editor').expect(200);
    expect(home.text).not.to.contain('<b>nascite</b>');
    const $ = cheerio.load(home.text);
    const rows = $('table.varco-endpoints tbody tr');
    expect(rows).to.have.length(1);
    expect(rows.text()).to.contain('anagrafe-nascite');
    expect(home.text).not.to.contain('segreto');

    const edit = await editor.get('/editor/bodies/demo_pep_a/endpoints/anagrafe-nascite/edit').expect(200);
    expect(cheerio.load(edit.text)('#endpoint-url').val()).to.equal('https://a.example.it/varco/steps');
    await editor
      .post('/editor/bodies/demo_pep_a/endpoints')
      .type('form')
      .send({ ...form, url: 'https://a.example.it/varco/v2', _csrf: csrfTokenFrom(edit.text) })
      .expect(303);

    await editor
      .post('/editor/bodies/demo_pep_a/endpoints/anagrafe-nascite/status')
      .type('form')
      .send({ status: 'disabled', _csrf: csrfTokenFrom(home.text) })
      .expect(303);
    expect(await gw.deps.catalog.endpoints.get('demo_pep_a', 'anagrafe-nascite')).to.include({
      status: 'disabled',
      url: 'https://a.example.it/varco/v2',
    });
    const trail = await gw.deps.catalog.repository.auditOf('endpoint', 'demo_pep_a/anagrafe-nascite');
    expect(trail.map((r) => r.action)).to.deep.equal([
      'endpoint.disabled',
      'endpoint.update',
      'endpoint.create',
    ]);
    expect(trail.every((r) => r.actor === `citizen:${EDITOR_A}`)).to.equal(true);
  });

  it('re-renders the form (422) for bad URLs and step ids, changing nothing', async () => {
    const editor = await loggedIn(EDITOR_A);
    const page = await editor.get('/editor/bodies/demo_pep_a/endpoints/new').expect(200);
    const csrf = csrfTokenFrom(page.text);
    for (const [bad, field] of [
      [{ url: 'javascript:alert(1)' }, 'url'],
      [{ url: 'https://b.example.it/steps' }, 'url'],
      [{ handles: '<script>' }, 'handles'],
      [{ id: 'NO SPACES' }, 'id'],
    ] as const) {
      const res = await editor
        .post('/editor/bodies/demo_pep_a/endpoints')
        .type('form')
        .send({ ...form, id: 'cattivo', ...bad, _csrf: csrf })
        .expect(422);
      expect(cheerio.load(res.text)(`.alert a[href="#endpoint-${field}"]`).length, field).to.equal(1);
      expect(res.text).not.to.contain('<script>');
    }
    expect(await gw.deps.catalog.endpoints.get('demo_pep_a', 'cattivo')).to.equal(undefined);
  });

  it("never lets an editor reach another body's endpoints, and needs the CSRF token", async () => {
    const editor = await loggedIn(EDITOR_A);
    const home = await editor.get('/editor').expect(200);
    const csrf = csrfTokenFrom(home.text);
    await editor.get('/editor/bodies/demo_pep_b/endpoints/new').expect(403);
    await editor.get('/editor/bodies/demo_pep_b/endpoints/segreto/edit').expect(403);
    // B's endpoint id under A's own path is simply not there.
    await editor.get('/editor/bodies/demo_pep_a/endpoints/segreto/edit').expect(404);
    await editor
      .post('/editor/bodies/demo_pep_a/endpoints/segreto/status')
      .type('form')
      .send({ status: 'disabled', _csrf: csrf })
      .expect(404);
    await editor
      .post('/editor/bodies/demo_pep_b/endpoints/segreto/status')
      .type('form')
      .send({ status: 'disabled', _csrf: csrf })
      .expect(403);
    await editor
      .post('/editor/bodies/demo_pep_b/endpoints')
      .type('form')
      .send({ ...form, id: 'segreto', url: 'https://b.example.it/x', _csrf: csrf })
      .expect(403);
    await editor
      .post('/editor/bodies/demo_pep_a/endpoints')
      .type('form')
      .send({ ...form, id: 'senza-token' })
      .expect(403);
    expect(await gw.deps.catalog.endpoints.get('demo_pep_b', 'segreto')).to.include({
      status: 'active',
      url: 'https://b.example.it/steps',
    });
    expect(await gw.deps.catalog.endpoints.get('demo_pep_a', 'senza-token')).to.equal(undefined);
    const anonymous = await request(gw.app).get('/editor/bodies/demo_pep_a/endpoints/new').expect(303);
    expect(anonymous.headers.location).to.match(/^\/login/);
  });

  it('shows the endpoint pages in English too', async () => {
    const editor = await loggedIn(EDITOR_A);
    const res = await editor
      .get('/editor/bodies/demo_pep_a/endpoints/new')
      .set('Accept-Language', 'en')
      .expect(200);
    expect(res.text).to.contain('Procedure delivery endpoint');
  });
});
