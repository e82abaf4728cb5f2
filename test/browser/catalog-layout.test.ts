import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { overlapProblems } from '../helpers/browser.ts';
import {
  ADMIN,
  EDITOR,
  FORM_PAGES,
  startCatalogBrowser,
  type CatalogBrowser,
  type Visit,
} from '../helpers/catalog-browser.ts';

/**
 * The catalog's and the registry's pages at a phone's width (nothing past the screen or the column, no
 * chip's label spilling out, every field visibly bounded) and their forms in both languages at 375 and
 * 1280px (no label drawn over another field, every control reached by a tap). Their accessibility and
 * CSP: catalog-pages.test.ts.
 */

/**
 * What does not fit a phone's screen: the page scrolling sideways, a control or card past the
 * screen's edge (also inside a scrolling box, where nobody sees it), a card past the page's column, a
 * chip whose label spills out, a text field without a visible underline or border.
 */
function layoutProblems(page: Page) {
  // No named functions inside: tsx would wrap them in a helper the page does not have.
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found: [Element, string][] = [];
    if (document.documentElement.scrollWidth > width)
      found.push([document.body, `page ${document.documentElement.scrollWidth}px wide`]);
    for (const e of document.querySelectorAll(
      'main a, main button, main input, main select, main textarea, main .card, main .chip',
    )) {
      const box = e.getBoundingClientRect();
      if (box.width === 0 || getComputedStyle(e).visibility === 'hidden') continue;
      if (box.left < -0.5 || box.right > width + 0.5)
        found.push([e, `at ${Math.round(box.left)}–${Math.round(box.right)}px`]);
    }
    // A card keeps to the page's column (the kit's card-bg adds side margins to a full-width card).
    const main = document.querySelector('main') as HTMLElement;
    const column = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
    for (const card of document.querySelectorAll('main .card')) {
      const right = card.getBoundingClientRect().right;
      if (right > column + 0.5) found.push([card, `ends at ${Math.round(right)}px, past the column`]);
    }
    for (const chip of document.querySelectorAll('main .chip')) {
      if (chip.scrollHeight > chip.clientHeight + 1) found.push([chip, 'spills out of its chip']);
    }
    for (const field of document.querySelectorAll('main .form-control')) {
      const style = getComputedStyle(field);
      if (parseFloat(style.borderBottomWidth) < 1 || style.borderBottomColor === 'rgba(0, 0, 0, 0)')
        found.push([field, 'has no visible boundary']);
    }
    return found.map(
      ([e, what]) =>
        `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} "${(e.textContent ?? '').trim().slice(0, 30)}" ${what}`,
    );
  });
}

describe('catalog and registry pages in a browser (layout, forms)', function () {
  this.timeout(60_000);
  let catalog: CatalogBrowser;
  before(async function () {
    catalog = await startCatalogBrowser(this);
  });
  after(() => catalog?.close());
  const open: CatalogBrowser['open'] = (visit, options) => catalog.open(visit, options);

  const phone = { width: 375, height: 812 };
  const phonePages: Visit[] = [
    { name: 'home page', path: '/', status: 200 },
    { name: 'search results', path: '/services?q=carta+identita', status: 200 },
    // Its life-event chip has a label longer than a phone's line.
    { name: 'info sheet', path: '/services/prato-carta-identita-elettronica', login: EDITOR, status: 200 },
    { name: 'personal area', path: '/me', login: EDITOR, status: 200 },
    { name: 'refused membership form', path: '/join', refuse: {}, status: 422 },
    { name: "editor's home", path: '/editor', login: EDITOR, status: 200 },
    { name: 'new service form', path: '/editor/bodies/c_g999/services/new', login: EDITOR, status: 200 },
    { name: 'admin area', path: '/admin', login: ADMIN, status: 200 },
  ];
  it(`fits a phone's screen (${phone.width}px): ${phonePages.map((p) => p.name).join(', ')}`, async function () {
    // Eight pages, as each forms test below; and the file's first test, the pages' first rendering.
    this.timeout(180_000);
    const problems: string[] = [];
    for (const visit of phonePages) {
      const { context, page, status } = await open(visit, { viewport: phone, locale: 'it-IT' });
      try {
        expect(status, visit.name).to.equal(visit.status);
        problems.push(...(await layoutProblems(page)).map((problem) => `${visit.name}: ${problem}`));
      } finally {
        await context.close();
      }
    }
    expect(problems).to.deep.equal([]);
  });
  const formPages: Visit[] = [
    ...FORM_PAGES,
    { name: 'personal area', path: '/me', login: EDITOR, status: 200 },
    { name: 'admin area', path: '/admin', login: ADMIN, status: 200 },
  ];
  for (const language of ['it', 'en'] as const) {
    for (const width of [375, 1280]) {
      it(`forms (${language}, ${width}px): no label drawn over another field, every control reached by a tap`, async function () {
        this.timeout(180_000);
        const problems: string[] = [];
        for (const visit of formPages) {
          const { context, page, status } = await open(visit, {
            viewport: { width, height: 900 },
            locale: language === 'it' ? 'it-IT' : 'en-GB',
          });
          try {
            expect(status, visit.name).to.equal(visit.status);
            await page.waitForFunction(() => 'bootstrap' in window);
            problems.push(...(await overlapProblems(page)).map((problem) => `${visit.name}: ${problem}`));
          } finally {
            await context.close();
          }
        }
        expect(problems).to.deep.equal([]);
      });
    }
  }
});
