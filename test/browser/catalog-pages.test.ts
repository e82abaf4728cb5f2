import { expect } from 'chai';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { axeViolations, launchBrowserOrSkip, overlapProblems } from '../helpers/browser.ts';
import { createTestGateway, listen, type TestGateway } from '../helpers/gateway.ts';

/**
 * The catalog's and the registry's pages in a real browser: axe-core's WCAG 2.1 A/AA rules and no
 * Content-Security-Policy violation, in Italian and English — search results (and none), an info sheet
 * (office, hours, body's contacts, JSON-LD), the 404 of an unknown service, the membership form (and
 * refused), the editor's pages (home, service, endpoint and body profile forms, refused ones too), the
 * admin area and its failed deliveries; then the same pages' layout at a phone's width.
 */
const ADMIN = 'BNCGVN75L41H501C';
const EDITOR = 'RSSMRA80A01H501U';

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

describe('catalog and registry pages in a browser (accessibility, CSP)', function () {
  this.timeout(60_000);
  let gateway: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    gateway = await createTestGateway({ registry: { admins: [ADMIN] } });
    await gateway.deps.catalog.writer.setEditors({ kind: 'system', id: 'test' }, 'c_g999', [EDITOR]);
    server = await listen(gateway.app);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await gateway?.close();
  });

  interface Visit {
    name: string;
    path: string;
    login?: string;
    status: number;
    /** A refused form: these fields are filled in, then the form is sent (and answers status). */
    refuse?: Record<string, string>;
  }
  const pages: Visit[] = [
    { name: 'search results', path: '/services?q=carta+identita&level=L2', status: 200 },
    { name: 'search without results', path: '/services?q=xqzwvk', status: 200 },
    { name: 'info sheet', path: '/services/prato-carta-identita-elettronica', status: 200 },
    { name: 'unknown service', path: '/services/non-esiste', status: 404 },
    { name: 'membership form', path: '/join', status: 200 },
    { name: 'refused membership form', path: '/join', refuse: { '#join-email': 'nope' }, status: 422 },
    { name: "editor's home", path: '/editor', login: EDITOR, status: 200 },
    { name: 'new service form', path: '/editor/bodies/c_g999/services/new', login: EDITOR, status: 200 },
    {
      name: 'refused service form',
      path: '/editor/bodies/c_g999/services/new',
      login: EDITOR,
      refuse: { '#service-id': 'prova-axe', '#service-link': 'javascript:alert(1)' },
      status: 422,
    },
    { name: 'new endpoint form', path: '/editor/bodies/c_g999/endpoints/new', login: EDITOR, status: 200 },
    { name: "body's profile form", path: '/editor/bodies/c_g999/profile', login: EDITOR, status: 200 },
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

  /** Opens a page as its visitor (logged in, a form refused), in a new context of the browser. */
  async function open(visit: Visit, options: BrowserContextOptions) {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    const csp: string[] = [];
    await page.exposeFunction('__reportCspViolation', (text: string) => csp.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const report = (window as unknown as { __reportCspViolation(text: string): void })
          .__reportCspViolation;
        report(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`);
      });
    });
    if (visit.login) await page.goto(`${server.url}/__test/login?fiscalCode=${visit.login}&level=2`);
    let response = await page.goto(`${server.url}${visit.path}`, { waitUntil: 'load' });
    if (visit.refuse) {
      for (const [selector, value] of Object.entries(visit.refuse)) await page.fill(selector, value);
      [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('main form button[type="submit"].btn-primary').first().click(),
      ]);
    }
    return { context, page, csp, status: response?.status() };
  }

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
  it(`fits a phone's screen (${phone.width}px): ${phonePages.map((p) => p.name).join(', ')}`, async () => {
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
    { name: 'membership form', path: '/join', status: 200 },
    { name: 'refused membership form', path: '/join', refuse: { '#join-email': 'nope' }, status: 422 },
    { name: 'new service form', path: '/editor/bodies/c_g999/services/new', login: EDITOR, status: 200 },
    {
      name: 'refused service form',
      path: '/editor/bodies/c_g999/services/new',
      login: EDITOR,
      refuse: { '#service-id': 'prova-axe', '#service-link': 'javascript:alert(1)' },
      status: 422,
    },
    { name: 'new endpoint form', path: '/editor/bodies/c_g999/endpoints/new', login: EDITOR, status: 200 },
    { name: "body's profile form", path: '/editor/bodies/c_g999/profile', login: EDITOR, status: 200 },
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
