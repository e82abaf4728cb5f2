import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { itChecksPages, launchBrowserOrSkip, type CheckedPage } from '../helpers/browser.ts';
import { createTestGateway, listen, type TestGateway } from '../helpers/gateway.ts';
import { generateYear } from '../helpers/stats-data.ts';

const ADMIN = 'NRELNE66D44G999Z';
const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The statistics pages in a real browser, over a year of generated data: axe-core's WCAG 2.1 A/AA rules
 * (the charts' SVG, their tables), nothing drawn over the range form, nothing wider than a phone, no
 * CSP violation; and the page read with JavaScript turned off.
 */
describe('statistics pages in a browser', function () {
  this.timeout(60_000);
  let gateway: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;
  const year = `from=${isoDay(Date.now() - 365 * DAY_MS)}&to=${isoDay(Date.now())}`;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    gateway = await createTestGateway({ registry: { admins: [ADMIN] } });
    await generateYear(
      gateway.redis,
      { bodies: 20, servicesPerBody: 10, activeShare: 0.6, procedures: 3, termsPerMonth: 20 },
      { dailyDays: 92 },
    );
    server = await listen(gateway.app);
    await fetch(`${server.url}/statistiche`);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await gateway?.close();
  });

  const charts = async (page: Page) => {
    expect(await page.locator('svg[role="img"]').count()).to.be.at.least(3);
  };
  const pages: CheckedPage[] = [
    { name: 'public statistics', path: () => `/statistiche?${year}`, shows: charts },
    { name: "admins' statistics", path: () => `/admin/statistiche?${year}`, login: ADMIN, shows: charts },
  ];

  itChecksPages(pages, () => ({ browser, url: server.url }));

  it('works with JavaScript turned off: a range chosen in the form', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'it-IT' });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/statistiche`);
      await page.getByLabel('Dal').fill(isoDay(Date.now() - 7 * DAY_MS));
      await page.getByRole('button', { name: 'Mostra' }).click();
      expect(new URL(page.url()).searchParams.get('from')).to.equal(isoDay(Date.now() - 7 * DAY_MS));
      expect(await page.locator('h2', { hasText: 'Servizi più usati' }).count()).to.equal(1);
    } finally {
      await context.close();
    }
  });
});
