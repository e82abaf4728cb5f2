import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { axeViolations, cspViolations, launchBrowserOrSkip, overlapProblems } from '../helpers/browser.ts';
import { startSsoGateway, type SsoGateway } from '../helpers/sso.ts';

/**
 * The single sign-on pages in a real browser (every step is a link or a form, no script needed): the
 * consent page, the demo body system showing the claims, and the personal area with consents and
 * history — no WCAG 2.1 A/AA violation, no CSP violation, in both languages.
 */
describe('single sign-on pages in a browser (accessibility, CSP)', function () {
  this.timeout(90_000);
  let op: SsoGateway;
  let browser: Browser;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    op = await startSsoGateway();
  });
  after(async () => {
    await browser?.close();
    await op?.close();
  });

  it("takes a newcomer from the catalog through the demo SPID login into two bodies' systems, logging in once", async () => {
    const context = await browser.newContext({ locale: 'it-IT', viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      let idpPages = 0;
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame() && frame.url().includes('/demo/spid-idp/sso')) idpPages++;
      });
      await page.goto(`${op.url}/go/prato-certificati-anagrafici`);
      expect(new URL(page.url()).pathname).to.equal('/login');
      await page.locator('details.spid-button > summary').click();
      await page.locator('details.spid-button a', { hasText: 'Demo SPID' }).click();
      await page.waitForURL(/\/demo\/spid-idp\/sso\?/);
      await page.getByRole('button', { name: /Laura Bianchi/ }).click();
      await page.waitForURL(/\/sso\/interaction\//);
      await page.click('button[name="decision"][value="allow"]');
      await page.waitForURL(`${op.url}/demo/rp/prato-certificati-anagrafici/`);
      expect(await page.locator('tr[data-claim="family_name"] td').textContent()).to.equal('Bianchi');

      await page.goto(`${op.url}/go/usl-prenotazioni`);
      await page.waitForURL(/\/sso\/interaction\//);
      await page.click('button[name="decision"][value="allow"]');
      await page.waitForURL(`${op.url}/demo/rp/usl-prenotazioni/`);
      expect(await page.locator('tr[data-claim="fiscal_number"] td').textContent()).to.equal(
        'TINIT-BNCLRA85M41G999K',
      );
      expect(idpPages, 'pages of the identity provider').to.equal(1);
    } finally {
      await context.close();
    }
  });

  it('shows the consent page whole on a phone: each datum, its value in words and why, without a scrolling box', async () => {
    const context = await browser.newContext({ locale: 'it-IT', viewport: { width: 375, height: 812 } });
    try {
      const page = await context.newPage();
      await page.goto(`${op.url}/go/prato-certificati-anagrafici`);
      await page.locator('details.spid-button > summary').click();
      await page.locator('details.spid-button a', { hasText: 'Demo SPID' }).click();
      await page.getByRole('button', { name: /Giuseppe Verdi/ }).click();
      await page.waitForURL(/\/sso\/interaction\//);
      expect(await axeViolations(page)).to.deep.equal([]);
      expect(await overlapProblems(page)).to.deep.equal([]);
      // The "why" column was cut off in a scrolling box at this width.
      const edges = await page
        .locator('tr[data-claim] > *')
        .evaluateAll((cells) => cells.map((cell) => cell.getBoundingClientRect().right));
      expect(edges).to.have.length(12);
      expect(Math.max(...edges)).to.be.at.most(375);
      expect(await page.locator('tr[data-claim="birthdate"] td').first().innerText()).to.equal(
        '10 dicembre 1970',
      );
    } finally {
      await context.close();
    }
  });

  for (const language of ['it', 'en'] as const) {
    it(`consent, the body's system and the personal area (${language})`, async () => {
      const context = await browser.newContext({
        locale: language === 'it' ? 'it-IT' : 'en-GB',
        viewport: { width: 1280, height: 900 },
      });
      try {
        const page = await context.newPage();
        const csp = cspViolations(page);
        const fiscalCode = language === 'it' ? 'FRNLCU90A01G999Z' : 'MRNGNN75C41G999X';
        await page.goto(`${op.url}/__test/login?fiscalCode=${fiscalCode}&level=2`);
        await page.goto(`${op.url}/go/usl-prenotazioni`);
        expect(new URL(page.url()).pathname).to.match(/^\/sso\/interaction\//);
        expect(await page.getAttribute('html', 'lang')).to.equal(language);
        expect(await page.locator('tr[data-claim]').count()).to.equal(3);
        expect(await axeViolations(page)).to.deep.equal([]);
        expect(await overlapProblems(page)).to.deep.equal([]);

        await page.click('button[name="decision"][value="allow"]');
        expect(new URL(page.url()).pathname).to.equal('/demo/rp/usl-prenotazioni/');
        expect(await page.locator('tr[data-claim="fiscal_number"] td').textContent()).to.equal(
          `TINIT-${fiscalCode}`,
        );
        expect(await axeViolations(page)).to.deep.equal([]);

        await page.goto(`${op.url}/me`);
        expect(await page.locator('#consents form').count()).to.equal(1);
        expect(await page.locator('#access-history tbody tr').count()).to.be.at.least(1);
        expect(await axeViolations(page)).to.deep.equal([]);
        expect(await overlapProblems(page)).to.deep.equal([]);

        await page.click('#consents form button');
        expect(new URL(page.url()).search).to.equal('?notice=consentRevoked');
        expect(await page.locator('#consents form').count()).to.equal(0);
        expect(csp).to.deep.equal([]);
      } finally {
        await context.close();
      }
    });
  }
});
