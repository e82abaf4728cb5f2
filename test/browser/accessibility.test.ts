import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations, launchBrowserOrSkip } from '../helpers/browser.ts';
import { createTestGateway, listen, type TestGateway } from '../helpers/gateway.ts';

/**
 * The pages in a real browser: axe-core's WCAG 2.1 A/AA rules, no Content-Security-Policy violation
 * and no console error (the UI kit's script must run under the nonce CSP), keyboard and no-JS use.
 */
interface Problems {
  console: string[];
  csp: string[];
  failedRequests: string[];
}

/** Records console errors, CSP violations and failed sub-requests of a page. */
async function watch(page: Page): Promise<Problems> {
  const problems: Problems = { console: [], csp: [], failedRequests: [] };
  await page.exposeFunction('__reportCspViolation', (text: string) => problems.csp.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation;
      report(
        `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  page.on('console', (message) => {
    // The error page's own 4xx status is reported as a failed load: that is the point of the page.
    const own = message.location().url === page.url();
    if (message.type() === 'error' && !own) problems.console.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== 'document') {
      problems.failedRequests.push(`${response.status()} ${response.url()}`);
    }
  });
  page.on('pageerror', (error) => problems.console.push(error.message));
  return problems;
}

describe('pages in a browser (accessibility, CSP)', function () {
  this.timeout(60_000);
  let gateway: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    gateway = await createTestGateway();
    server = await listen(gateway.app);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await gateway?.close();
  });

  const pages: { name: string; path: string; login?: boolean; status: number; open?: string }[] = [
    { name: 'home page', path: '/', status: 200 },
    { name: 'login page', path: '/login', status: 200 },
    // "Entra con SPID" opened: the list of identity providers under the button.
    {
      name: 'login page, SPID list open',
      path: '/login',
      status: 200,
      open: 'details.spid-button > summary',
    },
    { name: 'personal area', path: '/me', login: true, status: 200 },
    { name: 'newborn bundle, before logging in', path: '/procedures/newborn', status: 200 },
    { name: 'demo mailbox', path: '/demo/mailbox', status: 200 },
    { name: 'used credential link', path: `/credential?token=${'A'.repeat(43)}`, status: 410 },
    { name: 'used e-mail confirmation link', path: `/me/email/confirm?token=${'A'.repeat(43)}`, status: 410 },
    { name: 'error page', path: '/no-such-page', status: 404 },
    { name: 'bad request page', path: '/services?level=L9', status: 400 },
  ];

  const desktop = { width: 1280, height: 900 };
  const mobile = { width: 375, height: 812 };
  for (const language of ['it', 'en'] as const) {
    for (const { name, path, login, status, open } of pages) {
      // Both languages on a desktop; the narrow layout once (its markup is the same in both).
      for (const viewport of language === 'it' ? [desktop, mobile] : [desktop]) {
        it(`${name} (${language}, ${viewport.width}px): no WCAG 2.1 A/AA violation, no CSP violation, no console error`, async () => {
          const context = await browser.newContext({
            viewport,
            locale: language === 'it' ? 'it-IT' : 'en-GB',
          });
          try {
            const page = await context.newPage();
            const problems = await watch(page);
            if (login) await page.goto(`${server.url}/__test/login`);
            const response = await page.goto(`${server.url}${path}`, { waitUntil: 'load' });
            expect(response?.status()).to.equal(status);
            expect(await page.getAttribute('html', 'lang')).to.equal(language);
            // The kit's script ran: it marks the document once its plugins are set up.
            await page.waitForFunction(() => 'bootstrap' in window);
            if (open) {
              await page.click(open);
              const list = page.locator('details.spid-button[open] .spid-button-menu a').first();
              expect(await list.isVisible()).to.equal(true);
            }
            expect(await axeViolations(page)).to.deep.equal([]);
            expect(problems).to.deep.equal({ console: [], csp: [], failedRequests: [] });
          } finally {
            await context.close();
          }
        });
      }
    }
  }

  describe('keyboard and no-JavaScript use', () => {
    let context: BrowserContext;
    afterEach(() => context?.close());

    it('reaches the skip link first, visibly, and it moves focus to the main content', async () => {
      context = await browser.newContext({ viewport: desktop });
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      await page.keyboard.press('Tab');
      const focused = page.locator(':focus');
      expect(await focused.getAttribute('href')).to.equal('#main');
      const box = await focused.boundingBox();
      expect(box?.width ?? 0).to.be.greaterThan(10);
      expect(box?.height ?? 0).to.be.greaterThan(10);
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).to.equal('main');
    });

    it('switches language and logs out with JavaScript turned off', async () => {
      context = await browser.newContext({ javaScriptEnabled: false, locale: 'it-IT', viewport: desktop });
      const page = await context.newPage();
      await page.goto(`${server.url}/__test/login`);
      await page.goto(`${server.url}/me`);
      await page.click('header a[hreflang="en"]');
      expect(new URL(page.url()).pathname).to.equal('/me');
      expect(await page.getAttribute('html', 'lang')).to.equal('en');
      await page.click('header form[action="/logout"] button');
      expect(new URL(page.url()).pathname).to.equal('/logged-out');
      expect(await page.locator('header a[href="/login"]').count()).to.equal(1);
    });
  });
});
