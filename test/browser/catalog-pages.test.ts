import axe from 'axe-core';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchBrowserOrSkip } from '../helpers/browser.ts';
import { createTestGateway, listen, type TestGateway } from '../helpers/gateway.ts';

/**
 * The catalog's and the registry's pages in a real browser: axe-core's WCAG 2.1 A/AA rules and no
 * Content-Security-Policy violation, in Italian and English — search results, an info sheet (office,
 * hours, body's contacts, JSON-LD), the 404 of an unknown service, the membership form, the body
 * profile form of an editor and the admin area.
 */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const ADMIN = 'BNCGVN75L41H501C';
const EDITOR = 'RSSMRA80A01H501U';

async function axeViolations(page: Page) {
  // Injected through the DevTools protocol: an inline <script> would (rightly) be blocked by the CSP.
  await page.evaluate(axe.source);
  const results = await page.evaluate(
    (tags) =>
      (window as unknown as { axe: typeof axe }).axe.run(document, {
        runOnly: { type: 'tag', values: tags },
      }),
    WCAG_TAGS,
  );
  return results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
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

  const pages: { name: string; path: string; login?: string; status: number }[] = [
    { name: 'search results', path: '/services?q=carta+identita&level=L2', status: 200 },
    { name: 'info sheet', path: '/services/prato-carta-identita-elettronica', status: 200 },
    { name: 'unknown service', path: '/services/non-esiste', status: 404 },
    { name: 'membership form', path: '/join', status: 200 },
    { name: "body's profile form", path: '/editor/bodies/c_g999/profile', login: EDITOR, status: 200 },
    { name: 'admin area', path: '/admin', login: ADMIN, status: 200 },
  ];

  for (const language of ['it', 'en'] as const) {
    for (const { name, path, login, status } of pages) {
      it(`${name} (${language}): no WCAG 2.1 A/AA violation, no CSP violation`, async () => {
        const context = await browser.newContext({ locale: language === 'it' ? 'it-IT' : 'en-GB' });
        try {
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
          if (login) await page.goto(`${server.url}/__test/login?fiscalCode=${login}&level=2`);
          const response = await page.goto(`${server.url}${path}`, { waitUntil: 'load' });
          expect(response?.status()).to.equal(status);
          expect(await page.getAttribute('html', 'lang')).to.equal(language);
          await page.waitForFunction(() => 'bootstrap' in window);
          expect(await axeViolations(page)).to.deep.equal([]);
          expect(csp).to.deep.equal([]);
        } finally {
          await context.close();
        }
      });
    }
  }
});
