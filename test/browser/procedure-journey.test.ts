import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FieldDefinition } from '../../src/procedures/definition.schema.ts';
import type { Procedure } from '../../src/procedures/definitions.ts';
import type { FormValue } from '../../src/procedures/form.ts';
import { axeViolations, cspViolations, launchBrowserOrSkip, overlapProblems } from '../helpers/browser.ts';
import { createTestGateway, listen, testCitizen, type TestGateway } from '../helpers/gateway.ts';
import { newbornForm } from '../helpers/procedures.ts';

/**
 * The newborn bundle walked in a real browser with the keyboard only (Tab, typing, Space, arrows,
 * Enter), with axe-core's WCAG 2.1 A/AA rules on every page of the journey and no CSP violation.
 */
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

/** Types one field's value with the keyboard, the field having focus; ends with focus still in it. */
async function typeField(page: Page, field: FieldDefinition, value: FormValue) {
  const keyboard = page.keyboard;
  switch (field.type) {
    case 'radio': {
      const index = field.options.findIndex((o) => o.value === value);
      await keyboard.press('Space');
      for (let i = 0; i < index; i++) await keyboard.press('ArrowDown');
      return;
    }
    case 'checkbox':
      if (value === true) await keyboard.press('Space');
      return;
    case 'select': {
      const index = field.options.findIndex((o) => o.value === value);
      for (let i = 0; i <= index; i++) await keyboard.press('ArrowDown');
      return;
    }
    case 'date': {
      // Chromium's date input orders its segments by the browser's own UI language (en-US here:
      // month, day, year), not the page's; each segment moves on by itself once complete.
      const [year, month, day] = String(value).split('-');
      await keyboard.type(`${month}${day}${year}`);
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).value)).to.equal(value);
      return;
    }
    default:
      await keyboard.type(String(value));
  }
}

/** Tab to what follows a field: a date input's segments (day, month, year) are Tab stops of their own. */
async function tabOut(page: Page, field: FieldDefinition) {
  const from = await focusedId(page);
  for (let i = 0; i < (field.type === 'date' ? 4 : 1); i++) {
    await page.keyboard.press('Tab');
    if ((await focusedId(page)) !== from) return;
  }
}

describe('newborn bundle in a browser (keyboard, accessibility, CSP)', function () {
  this.timeout(120_000);
  let gateway: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;
  let context: BrowserContext;
  let procedure: Procedure;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    gateway = await createTestGateway({ rateLimit: { forms: { windowSeconds: 60, max: 100_000 } } });
    server = await listen(gateway.app);
    procedure = gateway.deps.procedures.procedures.get('newborn') as Procedure;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await gateway?.close();
  });
  afterEach(() => context?.close());

  async function open(language: 'it' | 'en', width = 1280) {
    context = await browser.newContext({
      viewport: { width, height: 900 },
      locale: language === 'it' ? 'it-IT' : 'en-GB',
    });
    const page = await context.newPage();
    const csp = cspViolations(page);
    page.on('pageerror', (error) => csp.push(error.message));
    await page.goto(`${server.url}/__test/login`);
    return { page, csp };
  }

  // Italian on a phone's width, English on a desktop's: both layouts, both languages.
  for (const [language, width] of [
    ['it', 375],
    ['en', 1280],
  ] as const) {
    it(`walks the whole bundle with the keyboard, every page passing axe (${language}, ${width}px)`, async () => {
      const { page, csp } = await open(language, width);
      // A child of its own per walk: the same child filed twice would stop at the repeat warning.
      const values = newbornForm({ childGivenName: language === 'it' ? 'Giulia' : 'Alice' });
      await page.goto(`${server.url}/procedures/newborn`);
      expect(await axeViolations(page)).to.deep.equal([]);
      await page.locator('main a.btn-primary').focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/pages\/child$/);

      for (const formPage of procedure.definition.form.pages) {
        expect(new URL(page.url()).pathname).to.equal(`/procedures/newborn/pages/${formPage.id}`);
        expect(await axeViolations(page), formPage.id).to.deep.equal([]);
        // From the link back to the start page, above the heading, Tab reaches the first field.
        await page.locator('main a[href="/procedures/newborn"]').first().focus();
        await page.keyboard.press('Tab');
        for (const [index, field] of formPage.fields.entries()) {
          const id = field.type === 'radio' ? `field-${field.id}-0` : `field-${field.id}`;
          if (index > 0) await tabOut(page, formPage.fields[index - 1] as FieldDefinition);
          expect(await focusedId(page), `Tab reaches ${field.id}`).to.equal(id);
          const value = values[field.id];
          if (value !== undefined) await typeField(page, field, value);
        }
        await tabOut(page, formPage.fields.at(-1) as FieldDefinition);
        expect(await page.evaluate(() => (document.activeElement as HTMLButtonElement).value)).to.equal(
          'next',
        );
        await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
        await page
          .waitForURL((url) => !url.pathname.endsWith(`/pages/${formPage.id}`), { timeout: 5000 })
          .catch(async () => {
            throw new Error(`stayed on ${formPage.id}: ${await page.locator('#error-summary').innerText()}`);
          });
      }

      expect(new URL(page.url()).pathname).to.equal('/procedures/newborn/preview');
      expect(await axeViolations(page)).to.deep.equal([]);
      await page.locator('#confirmed').focus();
      await page.keyboard.press('Space');
      await page.keyboard.press('Tab');
      await Promise.all([page.waitForURL(/\/receipt$/), page.keyboard.press('Enter')]);
      expect(await page.locator('#reference').innerText()).to.match(/^VRC-/);
      expect(await page.locator('#print-receipt').isVisible()).to.equal(true);
      expect(await axeViolations(page)).to.deep.equal([]);

      await page.locator('main a[href^="/cases/"]').first().focus();
      await Promise.all([page.waitForURL(/\/cases\/[0-9A-Z]{16}$/), page.keyboard.press('Enter')]);
      expect(await axeViolations(page)).to.deep.equal([]);
      await page.goto(`${server.url}/me`);
      expect(await page.locator('#cases tbody tr').count()).to.be.greaterThan(0);
      expect(await axeViolations(page)).to.deep.equal([]);
      expect(csp).to.deep.equal([]);
    });
  }

  it('draws no label over another field and lets every control be tapped, on every page (it, en; 375, 1280px)', async function () {
    this.timeout(300_000);
    const citizen = testCitizen();
    const pageIds = procedure.definition.form.pages.map((p) => p.id);
    const problems: string[] = [];
    for (const language of ['it', 'en'] as const) {
      for (const width of [375, 1280]) {
        const { page } = await open(language, width);
        await gateway.deps.procedures.drafts.save(citizen.fiscalCode, 'newborn', {
          values: newbornForm(),
          completed: pageIds,
        });
        const paths = [
          '/procedures/newborn',
          ...pageIds.map((id) => `/procedures/newborn/pages/${id}`),
          '/procedures/newborn/preview',
        ];
        for (const path of paths) {
          await page.goto(`${server.url}${path}`);
          problems.push(...(await overlapProblems(page)).map((p) => `${language} ${width}px ${path}: ${p}`));
        }
        // A refused page, with its messages under the fields.
        await page.goto(`${server.url}/procedures/newborn/pages/support`);
        await page.fill('#field-iban', 'nope');
        await Promise.all([page.waitForURL(/support/), page.click('button[value="next"]')]);
        problems.push(
          ...(await overlapProblems(page)).map((p) => `${language} ${width}px refused support: ${p}`),
        );
        await context.close();
      }
    }
    // The tests after this one start from an empty form.
    await gateway.deps.procedures.drafts.remove(citizen.fiscalCode, 'newborn');
    expect(problems).to.deep.equal([]);
  });

  it('focuses the error summary of a refused page, and its links move focus to the field', async () => {
    const { page, csp } = await open('it');
    await page.goto(`${server.url}/procedures/newborn/pages/child`);
    await page.locator('button[value="next"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#error-summary');
    await page.waitForLoadState('load');
    expect(await focusedId(page)).to.equal('error-summary');
    expect(await axeViolations(page)).to.deep.equal([]);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await focusedId(page)).to.equal('field-childGivenName');
    expect(csp).to.deep.equal([]);
  });

  it('tells a reader of an open case, in its live region, when a body has answered', async () => {
    const { page, csp } = await open('it');
    await page.clock.install();
    // A case filed through the engine for the logged-in test citizen.
    const citizen = testCitizen();
    const record = await gateway.deps.procedures.cases.confirm(procedure, citizen, newbornForm());
    await page.goto(`${server.url}/cases/${record.id}`);
    expect(await page.locator('#case-live').innerText()).to.equal('');
    expect(await page.locator('#case-changed').isVisible()).to.equal(false);
    await gateway.deps.procedures.cases.report(record.id, 'birth-registration', { status: 'accepted' });
    await page.clock.fastForward(21_000);
    await page.waitForFunction(() => document.getElementById('case-live')?.textContent !== '');
    expect(await page.locator('#case-live').innerText()).to.equal('Ci sono novità sulla pratica.');
    expect(await page.locator('[data-step-status="birth-registration"]').innerText()).to.equal(
      'Presa in carico',
    );
    expect(await page.locator('#case-changed').isVisible()).to.equal(true);
    expect(csp).to.deep.equal([]);
  });

  it('prints a receipt that says who issued it, without the page header', async () => {
    const { page } = await open('it');
    const record = await gateway.deps.procedures.cases.confirm(
      procedure,
      testCitizen(),
      newbornForm({ childGivenName: 'Stampa' }),
    );
    await page.goto(`${server.url}/cases/${record.id}/receipt`);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header').first().isVisible()).to.equal(false);
    expect(await page.locator('#issued-by').isVisible()).to.equal(true);
    expect(await page.locator('#issued-by').innerText()).to.include(gateway.config.network.name);
    expect(await page.locator('#reference').isVisible()).to.equal(true);
  });

  it('works with JavaScript turned off: the refused page lists its errors, the print hint is there', async () => {
    context = await browser.newContext({ javaScriptEnabled: false, locale: 'it-IT' });
    const page = await context.newPage();
    await page.goto(`${server.url}/__test/login`);
    await page.goto(`${server.url}/procedures/newborn/pages/child`);
    await page.fill('#field-childGivenName', 'Giulia');
    await page.click('button[value="save"]');
    expect(new URL(page.url()).search).to.equal('?notice=saved');
    await page.goto(`${server.url}/procedures/newborn/pages/child`);
    expect(await page.inputValue('#field-childGivenName')).to.equal('Giulia');
    await page.click('button[value="next"]');
    expect(await page.locator('#error-summary li').count()).to.equal(6);
  });
});
