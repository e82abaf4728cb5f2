import type { Server } from 'node:http';
import { createServer } from 'node:net';
import axe from 'axe-core';
import { expect } from 'chai';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { launchBrowserOrSkip } from '../helpers/browser.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { oidcConfig, startTestOp, testDescriptor, writeProvidersDir, type TestOp } from '../helpers/oidc.ts';

/** A loopback port nobody listens on (taken, then given back). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  );
  return results.violations.map((v) => v.id);
}

/**
 * Logout from the gateway reaches an OpenID provider on another origin (RP-initiated logout), in a real
 * browser, with and without JavaScript: the gateway's pages allow forms to post to 'self' only, and
 * Chromium holds a form submission and every redirect after it to that, so the logout form must not
 * be answered with a redirect to the provider.
 */
describe('logout at an identity provider on another origin, in a browser', function () {
  this.timeout(90_000);
  let browser: Browser;
  let op: TestOp;
  let gateway: TestGateway;
  let server: Server;
  let base: string;
  let providers: ReturnType<typeof writeProvidersDir>;
  /** The paths the browser asked the provider for. */
  const atProvider: string[] = [];

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    // Both on the loopback address, on different ports: two origins, as in production.
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    op = await startTestOp({
      redirectUris: [`${base}/oidc/callback/remote`],
      postLogoutRedirectUris: [`${base}/`],
    });
    providers = writeProvidersDir({ remote: testDescriptor(op, { prompt: 'login' }) });
    gateway = await createTestGateway({ ...oidcConfig(providers.dir), http: { publicUrl: base } });
    await gateway.deps.oidc.registry.settled();
    server = await new Promise<Server>((resolve) => {
      const s = gateway.app.listen(port, '127.0.0.1', () => resolve(s));
    });
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    gateway?.deps.oidc.registry.close();
    await gateway?.close();
    await op?.close();
    providers?.remove();
  });

  async function loggedIn(options: BrowserContextOptions) {
    const context = await browser.newContext({ locale: 'it-IT', ...options });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on('request', (request) => {
      if (request.url().startsWith(op.url)) atProvider.push(new URL(request.url()).pathname);
    });
    await page.goto(`${base}/oidc/login/remote`);
    await page.waitForURL(`${base}/me`);
    return { page, violations, close: () => context.close() };
  }

  for (const javaScriptEnabled of [true, false]) {
    it(`reaches the provider's end-session endpoint from the header's logout (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const { page, violations, close } = await loggedIn({ javaScriptEnabled });
      try {
        await page.click('form.varco-logout button[type="submit"]');
        await page.waitForURL(`${op.url}/session/end?**`, { timeout: 10_000 });
        expect(new URL(page.url()).searchParams.get('post_logout_redirect_uri')).to.equal(`${base}/`);
        expect(violations).to.deep.equal([]);
        // The gateway's session ended before the browser left.
        await page.goto(`${base}/me`);
        expect(new URL(page.url()).pathname).to.equal('/login');
      } finally {
        await close();
      }
    });
  }

  it('reaches the provider when the citizen ends all sessions from the personal area', async () => {
    const { page, violations, close } = await loggedIn({});
    try {
      await page.click('form[action="/me/sessions/end-all"] button[type="submit"]');
      await page.waitForURL(`${op.url}/session/end?**`, { timeout: 10_000 });
      expect(violations).to.deep.equal([]);
      expect(atProvider).to.include('/session/end');
    } finally {
      await close();
    }
  });

  for (const locale of ['it-IT', 'en-GB']) {
    it(`shows an accessible page on the way to the provider (${locale})`, async () => {
      const { page, violations, close } = await loggedIn({ locale });
      try {
        // The provider does not answer, so the page stays to be checked.
        await page.route(`${op.url}/**`, (route) => route.abort('aborted'));
        await page.click('form.varco-logout button[type="submit"]');
        await page.waitForURL(`${base}/logout`);
        await page.waitForLoadState('load');
        const link = page.locator('main a.btn-primary');
        expect(await link.getAttribute('href')).to.match(new RegExp(`^${op.url}/session/end\\?`));
        expect(await page.getAttribute('html', 'lang')).to.equal(locale.slice(0, 2));
        expect(await axeViolations(page)).to.deep.equal([]);
        expect(violations).to.deep.equal([]);
      } finally {
        await close();
      }
    });
  }
});
