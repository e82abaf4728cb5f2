import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import {
  axeViolations,
  cspViolations,
  launchBrowserOrSkip,
  startBrowsedGateway,
  type BrowsedGateway,
} from '../helpers/browser.ts';

/**
 * "Entra con CIE (demo)" as a newcomer uses it, in a real browser and with the keyboard only: the
 * button after SPID's, the demo OpenID Provider's page, back to the personal area; no CSP violation,
 * no axe (WCAG 2.1 AA) violation on the provider's page.
 */

describe('CIE (demo) login in a browser', function () {
  this.timeout(60_000);
  let browser: Browser;
  let gateway: BrowsedGateway;
  let base: string;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    gateway = await startBrowsedGateway();
    base = gateway.url;
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('logs in with the keyboard only, from "Entra con CIE (demo)" to the personal area', async () => {
    const page = await browser.newPage();
    const csp = cspViolations(page);
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
