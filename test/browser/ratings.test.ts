import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { DEMO_RATED_SERVICE } from '../../src/demo/ratings-seed.ts';
import { itChecksPages, launchBrowserOrSkip, type CheckedPage } from '../helpers/browser.ts';
import { createTestGateway, listen, type TestGateway } from '../helpers/gateway.ts';

const EDITOR = 'BNCGNN70C03G999Y';
const ADMIN = 'NRELNE66D44G999Z';

/**
 * The rating pages in a real browser: axe-core's WCAG 2.1 A/AA rules, nothing drawn over the forms'
 * labels and controls on a phone, nothing wider than the phone, no CSP violation; and a rating given
 * with JavaScript turned off.
 */
describe('rating pages in a browser', function () {
  this.timeout(60_000);
  let gateway: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;
  let usePath: string;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    gateway = await createTestGateway({ registry: { admins: [ADMIN] } });
    await gateway.deps.catalog.writer.setEditors({ kind: 'system', id: 'test' }, 'c_g999', [EDITOR]);
    server = await listen(gateway.app);
    // The first page compiles the templates: not inside a test's navigation timeout.
    await fetch(`${server.url}/services/${DEMO_RATED_SERVICE}`);
    // A use to rate: the test citizen followed a deep link.
    const fiscalCode = 'RSSMRA80A01H501U';
    usePath = `/me/ratings/${await gateway.deps.participation.deepLinkFollowed(fiscalCode, {
      id: 'prato-cambio-residenza',
      bodyId: 'c_g999',
    })}`;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await gateway?.close();
  });

  const pages: CheckedPage[] = [
    {
      name: 'sheet with its ratings and the clarity question',
      path: () => `/services/${DEMO_RATED_SERVICE}`,
    },
    { name: 'sheet clarity, second step', path: () => `/services/${DEMO_RATED_SERVICE}/clarity?stars=2` },
    { name: 'rating a use, second step', path: () => `${usePath}?stars=5`, login: 'RSSMRA80A01H501U' },
    { name: "personal area's services to rate", path: () => '/me', login: 'RSSMRA80A01H501U' },
    { name: "editors' ratings", path: () => '/editor/bodies/c_g999/ratings', login: EDITOR },
    { name: "admins' ratings", path: () => '/admin/ratings', login: ADMIN },
  ];

  itChecksPages(pages, () => ({ browser, url: server.url }));

  it('rates a sheet with JavaScript turned off: stars, then a reason and a comment', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'it-IT' });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/services/prato-cambio-residenza`);
      // The kit draws radios and checkboxes by their label: the label is what a person clicks.
      await page.locator('label[for="clarity-stars-2"]').click();
      await page.locator('form.varco-clarity-form button[type="submit"]').click();
      expect(new URL(page.url()).pathname).to.equal('/services/prato-cambio-residenza/clarity');
      await page.getByText('A volte le indicazioni non erano chiare').click();
      await page.getByLabel(/Vuoi aggiungere altri dettagli/).fill('Manca l’elenco dei documenti');
      await page.getByRole('button', { name: 'Invia la valutazione' }).click();
      expect(await page.locator('[role="status"]').innerText()).to.contain('Grazie');
      const summary = await gateway.deps.participation.ratings.store.summary({
        kind: 'sheet',
        id: 'prato-cambio-residenza',
        body: 'c_g999',
      });
      expect(summary.distribution).to.deep.equal([0, 1, 0, 0, 0]);
    } finally {
      await context.close();
    }
  });
});
