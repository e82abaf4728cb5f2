import { createServer } from 'node:net';
import type { Server } from 'node:http';
import axe from 'axe-core';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchBrowserOrSkip } from '../helpers/browser.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

/**
 * The SPID login a newcomer sees in demo mode, in a real browser: the "Entra con SPID" button, the demo
 * IdP, and the HTTP-POST back to the ACS — auto-submitted by the self-hosted script under the nonce CSP,
 * or with the visible Continue button when JavaScript is off.
 */

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function cspViolations(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) found.push(message.text());
  });
  return found;
}

describe('SPID demo login in a browser', function () {
  this.timeout(60_000);
  let browser: Browser;
  let gateway: TestGateway;
  let server: Server;
  let base: string;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = await createTestGateway({ http: { publicUrl: base } });
    server = await new Promise<Server>((resolve) => {
      const s = gateway.app.listen(port, '127.0.0.1', () => resolve(s));
    });
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await gateway?.close();
  });

  async function chooseDemoIdp(page: Page) {
    await page.goto(`${base}/login`);
    await page.locator('details.spid-button > summary').focus();
    await page.keyboard.press('Enter');
    const link = page.locator('details.spid-button a', { hasText: 'Demo SPID' });
    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/demo\/spid-idp\/sso\?/);
  }

  it('logs in with JavaScript: the answer page submits itself', async () => {
    const page = await browser.newPage();
    const csp = cspViolations(page);
    await chooseDemoIdp(page);
    await page.evaluate(axe.source);
    const results = await page.evaluate(() =>
      (window as unknown as { axe: typeof axe }).axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      }),
    );
    expect(results.violations.map((v) => v.id)).to.deep.equal([]);
    await page.getByRole('button', { name: /Laura Bianchi/ }).click();
    await page.waitForURL(`${base}/me`);
    expect(await page.content()).to.contain('BNCLRA85M41G999K');
    expect(csp).to.deep.equal([]);
    await page.close();
  });

  it('logs in without JavaScript: the Continue button posts the answer', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.locator('details.spid-button > summary').click();
    await page.locator('details.spid-button a', { hasText: 'Demo SPID' }).click();
    await page.waitForURL(/\/demo\/spid-idp\/sso\?/);
    await page.getByRole('button', { name: /Giuseppe Verdi/ }).click();
    await page.waitForURL(/\/demo\/spid-idp\/login$/);
    await page.getByRole('button', { name: /^(Continua|Continue)$/ }).click();
    await page.waitForURL(`${base}/me`);
    expect(await page.content()).to.contain('VRDGPP70T10G999S');
    await context.close();
  });
});
