import type { Server } from 'node:http';
import { createServer } from 'node:net';
import axe from 'axe-core';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchBrowserOrSkip } from '../helpers/browser.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

/**
 * "Entra con CIE (demo)" as a newcomer uses it, in a real browser and with the keyboard only: the
 * button after SPID's, the demo OpenID Provider's page, back to the personal area; no CSP violation,
 * no axe (WCAG 2.1 AA) violation on the provider's page.
 */

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

describe('CIE (demo) login in a browser', function () {
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

  it('logs in with the keyboard only, from "Entra con CIE (demo)" to the personal area', async () => {
    const page = await browser.newPage();
    const csp: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) csp.push(message.text());
    });
    await page.goto(`${base}/login`);
    const cie = page.locator('a.cie-button');
    await cie.focus();
    expect(await cie.evaluate((a) => a === document.activeElement)).to.equal(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/demo\/oidc-login\//);
    expect(await axeViolations(page)).to.deep.equal([]);
    const person = page.getByRole('button', { name: /Laura Bianchi/ });
    await person.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/me`);
    const content = await page.content();
    expect(content).to.contain('BNCLRA85M41G999K');
    expect(content).to.contain('CIE (demo)');
    expect(csp).to.deep.equal([]);
    await page.close();
  });
});
