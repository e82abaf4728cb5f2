import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { axeViolations } from '../helpers/browser.ts';
import {
  ADMIN,
  EDITOR,
  FORM_PAGES,
  startCatalogBrowser,
  type CatalogBrowser,
  type Visit,
} from '../helpers/catalog-browser.ts';

/**
 * The catalog's and the registry's pages in a real browser: axe-core's WCAG 2.1 A/AA rules and no
 * Content-Security-Policy violation, in Italian and English — search results (and none), an info sheet
 * (office, hours, body's contacts, JSON-LD), the 404 of an unknown service, the membership form (and
 * refused), the editor's pages (home, service, endpoint and body profile forms, refused ones too), the
 * admin area and its failed deliveries; search's filters on a phone and a desktop. Their layout at a
 * phone's width and their forms' labels and controls: catalog-layout.test.ts.
 */

/** aria-describedby/-labelledby naming ids that are not on the page (axe accepts one of several). */
function brokenReferences(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[aria-describedby], [aria-labelledby]')].flatMap((element) =>
      ['aria-describedby', 'aria-labelledby'].flatMap((attribute) =>
        (element.getAttribute(attribute) ?? '')
          .split(' ')
          .filter((id) => id && !document.getElementById(id))
          .map((id) => `${element.id || element.tagName} ${attribute} → ${id}`),
      ),
    ),
  );
}

describe('catalog and registry pages in a browser (accessibility, CSP)', function () {
  this.timeout(60_000);
  let catalog: CatalogBrowser;
  before(async function () {
    catalog = await startCatalogBrowser(this);
  });
  after(() => catalog?.close());
  const open: CatalogBrowser['open'] = (visit, options) => catalog.open(visit, options);

  const pages: Visit[] = [
    { name: 'search results', path: '/services?q=carta+identita&level=L2', status: 200 },
    { name: 'search without results', path: '/services?q=xqzwvk', status: 200 },
    { name: 'info sheet', path: '/services/prato-carta-identita-elettronica', status: 200 },
    { name: 'unknown service', path: '/services/non-esiste', status: 404 },
    ...FORM_PAGES,
    { name: "editor's home", path: '/editor', login: EDITOR, status: 200 },
    {
      name: "refused body's profile form",
      path: '/editor/bodies/c_g999/profile',
      login: EDITOR,
      refuse: { '#body-email': 'nope', '#body-name-en': '' },
      status: 422,
    },
    { name: 'admin area', path: '/admin', login: ADMIN, status: 200 },
    { name: 'failed deliveries', path: '/admin/deliveries', login: ADMIN, status: 200 },
  ];

  for (const language of ['it', 'en'] as const) {
    for (const visit of pages) {
      it(`${visit.name} (${language}): no WCAG 2.1 A/AA violation, no CSP violation`, async () => {
        const { context, page, csp, status } = await open(visit, {
          locale: language === 'it' ? 'it-IT' : 'en-GB',
        });
        try {
          expect(status).to.equal(visit.status);
          expect(await page.getAttribute('html', 'lang')).to.equal(language);
          await page.waitForFunction(() => 'bootstrap' in window);
          expect(await axeViolations(page)).to.deep.equal([]);
          expect(await brokenReferences(page)).to.deep.equal([]);
          if (visit.refuse) {
            // The summary has focus; every refused input points to its problem.
            expect(await page.evaluate(() => document.activeElement?.id)).to.equal('error-summary');
            expect(await page.locator('[aria-invalid="true"]:not([aria-describedby])').count()).to.equal(0);
            expect(await page.locator('[aria-invalid="true"]').count()).to.be.greaterThan(0);
          }
          expect(csp).to.deep.equal([]);
        } finally {
          await context.close();
        }
      });
    }
  }

  const phone = { width: 375, height: 812 };
  it(`search on a phone (${phone.width}×${phone.height}): the first result, whole, above the fold; the filters a disclosure, open from the keyboard`, async () => {
    const visit = { name: 'search', path: '/services?q=carta+identita&level=L2', status: 200 };
    const { context, page, csp, status } = await open(visit, { viewport: phone, locale: 'it-IT' });
    try {
      expect(status).to.equal(200);
      const first = await page.locator('.varco-results .card').first().boundingBox();
      expect(first, 'a first result').to.not.equal(null);
      expect(first!.y + first!.height, 'bottom of the first result').to.be.at.most(phone.height);
      const summary = page.locator('details.varco-filters > summary');
      expect(await summary.innerText()).to.match(/Filtra i risultati\s*\(1 filtro attivo\)/);
      expect(await page.isVisible('#filter-level')).to.equal(false);
      await summary.focus();
      await page.keyboard.press('Enter');
      expect(await page.isVisible('#filter-level')).to.equal(true);
      await page.waitForFunction(() => 'bootstrap' in window);
      expect(await axeViolations(page)).to.deep.equal([]);
      expect(csp).to.deep.equal([]);
      // The form still sends the filters (without JavaScript: a plain GET).
      await page.selectOption('#filter-level', 'L3');
      await Promise.all([page.waitForNavigation(), page.click('.varco-filters button[type="submit"]')]);
      expect(new URL(page.url()).searchParams.get('level')).to.equal('L3');
      expect(new URL(page.url()).searchParams.get('q')).to.equal('carta identita');
    } finally {
      await context.close();
    }
  });

  it('search on a desktop (1280px): the filters stand open beside the results, no disclosure to open', async () => {
    const visit = { name: 'search', path: '/services?q=carta+identita', status: 200 };
    const { context, page } = await open(visit, { viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    try {
      expect(await page.isVisible('details.varco-filters > summary')).to.equal(false);
      expect(await page.isVisible('#filters-heading')).to.equal(true);
      const filters = await page.locator('#filter-body').boundingBox();
      const first = await page.locator('.varco-results .card').first().boundingBox();
      expect(filters!.x + filters!.width, 'filters left of the results').to.be.at.most(first!.x);
      await page.focus('#search-q');
      await page.keyboard.press('Tab'); // the search button
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).to.equal('filter-body');
    } finally {
      await context.close();
    }
  });
});
