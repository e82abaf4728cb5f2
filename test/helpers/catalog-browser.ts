import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { launchBrowserOrSkip } from './browser.ts';
import { createTestGateway, listen, type TestGateway } from './gateway.ts';

/**
 * The catalog's and the registry's pages in a real browser, as test/browser/catalog-pages.test.ts and
 * catalog-layout.test.ts visit them: a gateway whose network admin is ADMIN and whose body c_g999 has
 * EDITOR as editor, and headless Chromium.
 */
export const ADMIN = 'BNCGVN75L41H501C';
export const EDITOR = 'RSSMRA80A01H501U';

export interface Visit {
  name: string;
  path: string;
  login?: string;
  status: number;
  /** A refused form: these fields are filled in, then the form is sent (and answers status). */
  refuse?: Record<string, string>;
}

/**
 * Goes to a visit's page as its visitor: logged in first (the test-only login) when it names one, and its
 * form filled in and sent when it is a refused form. The answer to the page, or to the form.
 */
export async function visitPage(page: Page, baseUrl: string, visit: Visit) {
  if (visit.login) await page.goto(`${baseUrl}/__test/login?fiscalCode=${visit.login}&level=2`);
  let response = await page.goto(`${baseUrl}${visit.path}`, { waitUntil: 'load' });
  if (visit.refuse) {
    for (const [selector, value] of Object.entries(visit.refuse)) await page.fill(selector, value);
    [response] = await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.locator('main form button[type="submit"].btn-primary').first().click(),
    ]);
  }
  return response;
}

/** The membership and editor forms, blank and refused: pages both the catalog's page tests and its layout tests open. */
export const FORM_PAGES: readonly Visit[] = [
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
];

export interface CatalogBrowser {
  /** Opens a page as its visitor (logged in, a form refused), in a new context of the browser. */
  open(
    visit: Visit,
    options: BrowserContextOptions,
  ): Promise<{ context: BrowserContext; page: Page; csp: string[]; status: number | undefined }>;
  /** Closes the browser, then the gateway. */
  close(): Promise<void>;
}

/** For a `before` hook: skipped with a notice where Chromium is missing (see launchBrowserOrSkip). */
export async function startCatalogBrowser(context: Mocha.Context): Promise<CatalogBrowser> {
  const browser = await launchBrowserOrSkip(context);
  let gateway: TestGateway | undefined;
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    gateway = await createTestGateway({ registry: { admins: [ADMIN] } });
    await gateway.deps.catalog.writer.setEditors({ kind: 'system', id: 'test' }, 'c_g999', [EDITOR]);
    server = await listen(gateway.app);
  } catch (error) {
    await browser.close();
    await gateway?.close();
    throw error;
  }

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
    const response = await visitPage(page, server.url, visit);
    return { context, page, csp, status: response?.status() };
  }

  return {
    open,
    async close() {
      await browser.close();
      await server.close();
      await gateway!.close();
    },
  };
}
