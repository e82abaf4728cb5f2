import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { testBody, testService } from './catalog-fixtures.ts';

const SERVICE = 'museo-tessuto-biglietti';
const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const today = () => isoDay(Date.now());
const month = () => today().slice(0, 7);

describe('usage statistics: pages and open data', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
    // 12 views of one service's sheet (shown as a number), 3 deep links (shown as "< 10").
    for (let i = 0; i < 12; i++) await request(gw.app).get(`/services/${SERVICE}`).expect(200);
    for (let i = 0; i < 3; i++) await request(gw.app).get(`/go/${SERVICE}`).expect(303);
    await gw.deps.stats.flush();
  });
  after(() => gw.close());

  it('shows /statistiche with accessible SVG charts, their tables and summaries, and small counts as "< 10"', async () => {
    const res = await request(gw.app).get('/statistiche').expect(200);
    const $ = cheerio.load(res.text);
    expect($('h1').text()).to.equal('Statistiche della rete');
    const svg = $('section .varco-chart-svg').first();
    expect(svg.attr('role')).to.equal('img');
    const [titleId, descId] = String(svg.attr('aria-labelledby')).split(' ');
    expect($(`#${titleId}`).prop('tagName')?.toLowerCase()).to.equal('title');
    expect($(`#${descId}`).text()).to.include('Museo');
    const row = $('table.varco-chart-table').first().find('tbody tr').first();
    const cells = row
      .find('td')
      .map((_i, el) => $(el).text())
      .get();
    // Sheet views, deep links, single sign-on, total.
    expect(cells.slice(1)).to.deep.equal(['12', '< 10', '< 10', '15']);
    expect($('.varco-chart-summary').first().text()).to.include('15');
    // No JavaScript needed: none on the page beyond the layout's.
    expect($('main script').length).to.equal(0);
    // Linked from the open-data section of the home page.
    const home = await request(gw.app).get('/').expect(200);
    expect(cheerio.load(home.text)('a[href="/statistiche#open-data"]').length).to.equal(1);
  });

  it("shows the URP desk's requests once it reports them: received, answered, overdue, time to first answer", async () => {
    const { urpMoved } = gw.deps.stats.listeners;
    for (let i = 0; i < 12; i++) urpMoved({ body: 'demo_museo_tessuto', stage: 'received' });
    for (let i = 0; i < 10; i++)
      urpMoved({ body: 'demo_museo_tessuto', stage: 'answered', seconds: 2 * 3600 });
    for (let i = 0; i < 2; i++) urpMoved({ body: 'demo_museo_tessuto', stage: 'overdue' });
    await gw.deps.stats.flush();
    const $ = cheerio.load((await request(gw.app).get('/statistiche').expect(200)).text);
    // A body the demo's own requests (seeded at start) do not name.
    const row = $('#chart-urp')
      .closest('section')
      .find('tbody tr')
      .filter((_i, tr) => $(tr).find('th').text() === 'Museo del Tessuto');
    expect(row.length).to.equal(1);
    expect(
      row
        .find('td')
        .map((_i, el) => $(el).text())
        .get(),
    ).to.deep.equal(['12', '10', '< 10', 'da 1 a 6 ore']);
  });

  it('answers in English at the same URL with the language switch', async () => {
    const agent = request.agent(gw.app);
    await agent.get('/lang/en?next=/statistiche').expect(303);
    const res = await agent.get('/statistiche').expect(200);
    expect(cheerio.load(res.text)('h1').text()).to.equal('Network statistics');
  });

  it('refuses bad date ranges (400) with what is wrong', async () => {
    const future = isoDay(Date.now() + 2 * DAY_MS);
    const longAgo = isoDay(Date.now() - 400 * DAY_MS);
    for (const query of [
      'from=2026-13-01',
      'from=yesterday',
      `from=${today()}&to=${isoDay(Date.now() - DAY_MS)}`,
      `to=${future}`,
      `from=${longAgo}&to=${today()}`,
      'from[]=x',
      'evil=1',
    ]) {
      await request(gw.app).get(`/statistiche?${query}`).expect(400);
    }
  });

  it('publishes each dataset per month as CSV and JSON, small counts as "< 10"', async () => {
    const csv = await request(gw.app).get(`/statistiche/servizi/${month()}.csv`).expect(200);
    expect(csv.headers['content-type']).to.equal('text/csv; charset=utf-8');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).to.equal(
      '"body_ipa_code","service_id","sheet_views","deep_links","sso_entries","total"',
    );
    expect(lines[1]).to.match(new RegExp(`"${SERVICE}","12","< 10","< 10","15"$`));
    const json = await request(gw.app).get(`/statistiche/servizi/${month()}.json`).expect(200);
    expect(json.body).to.include({ dataset: 'servizi', month: month(), threshold: 10 });
    expect(json.body.rows[0]).to.include({
      service_id: SERVICE,
      sheet_views: 12,
      deep_links: '< 10',
      total: 15,
    });
    for (const dataset of ['enti', 'accessi', 'procedimenti', 'urp']) {
      await request(gw.app).get(`/statistiche/${dataset}/${month()}.csv`).expect(200);
      const body = (await request(gw.app).get(`/statistiche/${dataset}/${month()}.json`).expect(200)).body;
      for (const row of body.rows)
        for (const [column, value] of Object.entries(row))
          // Every count is 10 or more, or "< 10" (a bucket is a code, not a count).
          if (typeof value === 'number' && !column.endsWith('_bucket'))
            expect(value, column).to.be.at.least(10);
          else if (typeof value === 'string' && /^\d/.test(value)) expect.fail(`${column}: ${value}`);
    }
  });

  it('refuses unknown datasets and months (404) and malformed months (400)', async () => {
    await request(gw.app).get(`/statistiche/nope/${month()}.csv`).expect(404);
    await request(gw.app).get(`/statistiche/servizi/${month()}.xml`).expect(404);
    await request(gw.app).get('/statistiche/servizi/2026-13.csv').expect(400);
    await request(gw.app).get('/statistiche/servizi/..%2F..%2Fetc.csv').expect(400);
    await request(gw.app).get('/statistiche/servizi/1999-01.csv').expect(404);
    await request(gw.app).get('/statistiche/servizi/2999-01.json').expect(404);
    await request(gw.app).get('/statistiche/__proto__/2026-01.json').expect(404);
  });

  it("keeps the admins' and editors' pages to them", async () => {
    await request(gw.app)
      .get('/admin/statistiche')
      .expect((res) => expect(res.status).to.be.oneOf([302, 303, 401, 403]));
    const citizen = request.agent(gw.app);
    await citizen.get('/__test/login?fiscalCode=RSSMRA80A01H501U').expect(200);
    await citizen.get('/admin/statistiche').expect(403);
    await citizen.get('/editor/bodies/c_g999/statistiche').expect(403);
  });
});

describe("usage statistics: the admins' and editors' pages", () => {
  const ADMIN = 'RSSMRA80A01H501U';
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway({ registry: { admins: [ADMIN] }, http: { trustProxy: true } });
    const actor = { kind: 'system' as const, id: 'test' };
    await gw.deps.catalog.writer.putBody(actor, testBody('demo_stats', 'stats.example.it'), {
      status: 'approved',
      editors: [ADMIN],
    });
    await gw.deps.catalog.writer.putService(
      actor,
      'demo_stats',
      'stats-service',
      testService('stats.example.it'),
      'published',
    );
  });
  after(() => gw.close());

  const search = (q: string, address: string) =>
    request(gw.app)
      .get(`/services?q=${encodeURIComponent(q)}`)
      .set('X-Forwarded-For', address)
      .expect(200);

  it('shows the admins the terms that found nothing once 10 different visitors searched them', async () => {
    const startHour = new Date().getUTCHours();
    for (let i = 1; i <= 10; i++) await search('Qwxzy Plorf', `192.0.2.${i}`);
    // Nine visitors (one searching three times): not shown.
    for (let i = 1; i <= 9; i++) await search('Vrumble Snax', `198.51.100.${i}`);
    await search('vrumble snax', '198.51.100.1');
    await search('VRUMBLE  SNAX', '198.51.100.1');
    await gw.deps.stats.flush();
    const admin = request.agent(gw.app);
    await admin.get(`/__test/login?fiscalCode=${ADMIN}`).expect(200);
    const res = await admin.get('/admin/statistiche').expect(200);
    const $ = cheerio.load(res.text);
    const terms = $('.varco-zero-results tbody th')
      .map((_i, el) => $(el).text())
      .get();
    expect(terms).to.deep.equal(['qwxzy plorf']);
    expect($('.varco-zero-results tbody td').first().text()).to.equal('10');
    expect(res.text).not.to.include('vrumble');
    expect(res.text).not.to.include('192.0.2.');
    // The last week by hour: 24 rows; this hour's searches (unless the hour turned during the test).
    const hourRows = $('#chart-hours').closest('section').find('tbody tr');
    expect(hourRows.length).to.equal(24);
    const hour = new Date().getUTCHours();
    if (hour === startHour) expect($(hourRows[hour]).find('td').last().text()).to.equal('21');
    // Delivery health per endpoint.
    expect($('.varco-endpoint-health tbody tr').length).to.be.greaterThan(0);
    await admin.get('/admin/statistiche?from=2026-02-30').expect(400);
  });

  it('shows a body\'s editors its services\' use, small counts as "< 10"', async () => {
    for (let i = 0; i < 11; i++) await request(gw.app).get('/services/stats-service').expect(200);
    await gw.deps.stats.flush();
    const editor = request.agent(gw.app);
    await editor.get(`/__test/login?fiscalCode=${ADMIN}`).expect(200);
    const res = await editor.get('/editor/bodies/demo_stats/statistiche').expect(200);
    const $ = cheerio.load(res.text);
    const rows = $('table.varco-chart-table').first().find('tbody tr');
    expect(rows.length).to.equal(1);
    expect(
      rows
        .first()
        .find('td')
        .map((_i, el) => $(el).text())
        .get()
        .slice(1),
    ).to.deep.equal(['11', '< 10', '< 10', '11']);
    const editorLink = await editor.get('/editor').expect(200);
    expect(editorLink.text).to.include('/editor/bodies/demo_stats/statistiche');
    await editor.get('/editor/bodies/demo_stats/statistiche?to=x').expect(400);
  });
});
