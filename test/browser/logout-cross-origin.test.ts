import { expect } from 'chai';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import {
  axeViolations,
  cspViolations,
  launchBrowserOrSkip,
  startBrowsedGateway,
  type BrowsedGateway,
} from '../helpers/browser.ts';
import { oidcConfig, startTestOp, testDescriptor, writeProvidersDir, type TestOp } from '../helpers/oidc.ts';
import { sparePort } from '../helpers/sso.ts';

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
  let gateway: BrowsedGateway;
  let base: string;
  let providers: ReturnType<typeof writeProvidersDir>;
  /** The paths the browser asked the provider for. */
  const atProvider: string[] = [];

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    // Both on the loopback address, on different ports: two origins, as in production.
    const port = await sparePort();
    base = `http://127.0.0.1:${port}`;
    op = await startTestOp({
      redirectUris: [`${base}/oidc/callback/remote`],
      postLogoutRedirectUris: [`${base}/logged-out`],
    });
    providers = writeProvidersDir({ remote: testDescriptor(op, { prompt: 'login' }) });
    gateway = await startBrowsedGateway(oidcConfig(providers.dir), port);
    await gateway.deps.oidc.registry.settled();
  });
  after(async () => {
    await browser?.close();
    gateway?.deps.oidc.registry.close();
    await gateway?.close();
    await op?.close();
    providers?.remove();
  });

  async function loggedIn(options: BrowserContextOptions) {
    const context = await browser.newContext({ locale: 'it-IT', ...options });
    const page = await context.newPage();
    const violations = cspViolations(page);
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
        expect(new URL(page.url()).searchParams.get('post_logout_redirect_uri')).to.equal(
          `${base}/logged-out`,
        );
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
