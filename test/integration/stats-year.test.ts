import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { generateYear } from '../helpers/stats-data.ts';

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('usage statistics: a year of data', () => {
  const ADMIN = 'RSSMRA80A01H501U';
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway({ registry: { admins: [ADMIN] } });
    // The demo network's size, about: 20 bodies of 10 services, 3 procedures, 40 terms a month.
    await generateYear(
      gw.redis,
      { bodies: 20, servicesPerBody: 10, activeShare: 0.6, procedures: 3, termsPerMonth: 40 },
      { dailyDays: 92 },
    );
  });
  after(() => gw.close());

  it('renders the public page, the admins\' page and the open data over a whole year, every small count as "< 10"', async () => {
    const from = isoDay(Date.now() - 365 * DAY_MS);
    const to = isoDay(Date.now());
    const started = Date.now();
    const res = await request(gw.app).get(`/statistiche?from=${from}&to=${to}`).expect(200);
    const elapsed = Date.now() - started;
    const $ = cheerio.load(res.text);
    // Widened to whole months where the days are no longer kept.
    expect($('p.lead').text()).to.include(`${from.slice(0, 7)}-01`);
    expect($('.varco-chart-svg').length).to.be.at.least(4);
    expect($('table.varco-chart-table').first().find('tbody tr').length).to.equal(10);
    // Every count in every chart's table (the login level is a code, not a count).
    $('table.varco-chart-table').each((_i, table) => {
      const headers = $(table)
        .find('thead th')
        .map((_j, th) => $(th).text())
        .get();
      $(table)
        .find('tbody tr')
        .each((_j, tr) => {
          $(tr)
            .children()
            .each((k, cell) => {
              const text = $(cell).text();
              if (headers[k] === 'Livello' || !/^\d[\d.]*$/.test(text)) return;
              expect(Number(text.replace(/\./g, '')), `${headers[k]}: ${text}`).to.be.at.least(10);
            });
        });
    });
    expect(elapsed, 'render time (ms)').to.be.lessThan(3000);

    const admin = request.agent(gw.app);
    await admin.get(`/__test/login?fiscalCode=${ADMIN}`).expect(200);
    const page = await admin.get(`/admin/statistiche?from=${from}&to=${to}`).expect(200);
    const terms = cheerio.load(page.text)('.varco-zero-results tbody tr');
    expect(terms.length).to.be.greaterThan(0);

    const month = to.slice(0, 7);
    const json = (await request(gw.app).get(`/statistiche/servizi/${month}.json`).expect(200)).body as {
      rows: Record<string, unknown>[];
    };
    expect(json.rows.length).to.be.greaterThan(50);
    for (const row of json.rows)
      for (const [column, value] of Object.entries(row))
        if (typeof value === 'number') expect(value, column).to.be.at.least(10);
        else if (column !== 'body_ipa_code' && column !== 'service_id') expect(value).to.equal('< 10');
  });
});
