import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import {
  axeViolations,
  cspViolations,
  launchBrowserOrSkip,
  startBrowsedGateway,
  type BrowsedGateway,
} from '../helpers/browser.ts';

/**
 * The SPID login a newcomer sees in demo mode, in a real browser: the "Entra con SPID" button, the demo
 * IdP, and the HTTP-POST back to the ACS — auto-submitted by the self-hosted script under the nonce CSP,
 * or with the visible Continue button when JavaScript is off.
 */

describe('SPID demo login in a browser', function () {
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
    expect(await axeViolations(page)).to.deep.equal([]);
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
