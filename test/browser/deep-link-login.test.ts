import { createServer as createHttpsServer } from 'node:https';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateSpidKeyPair } from '../../src/identity/spid/sp-certificate.ts';
import {
  cspViolations,
  launchBrowserOrSkip,
  startBrowsedGateway,
  type BrowsedGateway,
} from '../helpers/browser.ts';

/**
 * "Vai al servizio" on the sheet of a service that is a link to a body's site, by a citizen who must log
 * in first (anonymous) or again at a higher level (level 1), with the demo SPID IdP and the demo CIE
 * provider, in Chromium. The login ends with a form submission (the IdP's POST, the provider's login
 * form) under the pages' CSP `form-action 'self'`, and Chromium holds every redirect after it to that:
 * the way to the body's site must still get there. The body's site is answered by a local https stub
 * (Chromium resolves its host to the loopback; every other host fails to resolve, so nothing leaves the
 * machine). page.route cannot stand in for it: it does not see the targets of redirects.
 */

/** The body's site: records each path asked for and answers with a page (a test-only certificate). */
async function startBodySite() {
  const keys = generateSpidKeyPair({
    commonName: 'servizi.comune.prato.it',
    organizationName: 'Test-only stub',
    entityId: 'https://servizi.comune.prato.it',
    ipaCode: 'test_only',
    localityName: 'Prato',
  });
  const received: string[] = [];
  const server = createHttpsServer({ key: keys.key, cert: keys.cert }, (req, res) => {
    if (req.url !== '/favicon.ico') received.push(`https://${req.headers.host}${req.url}`);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Servizio dell’ente</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Demo services that are links to the Comune di Prato's site, both at SPID level 2. */
const NURSERY = {
  id: 'prato-iscrizione-asilo-nido',
  url: 'https://servizi.comune.prato.it/scuola/nidi/iscrizione',
};
const TARI = { id: 'prato-tari', url: 'https://servizi.comune.prato.it/tributi/tari/posizione?lang=it' };

describe('a link service reached through login, in a browser', function () {
  this.timeout(90_000);
  let browser: Browser;
  let gateway: BrowsedGateway;
  let base: string;
  let site: Awaited<ReturnType<typeof startBodySite>>;

  before(async function () {
    site = await startBodySite();
    browser = await launchBrowserOrSkip(this, [
      `--host-resolver-rules=MAP servizi.comune.prato.it 127.0.0.1:${site.port}, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`,
    ]);
    gateway = await startBrowsedGateway({ rateLimit: { login: { windowSeconds: 60, max: 1000 } } });
    base = gateway.url;
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
    await site?.close();
  });

  /** A fresh browser (it accepts the stub's test-only certificate), watching for CSP violations. */
  async function visitor(options: { javaScriptEnabled?: boolean } = {}) {
    const context: BrowserContext = await browser.newContext({
      locale: 'it-IT',
      ignoreHTTPSErrors: true,
      ...options,
    });
    site.received.length = 0;
    const page = await context.newPage();
    return { page, csp: cspViolations(page), close: () => context.close() };
  }

  const spidDemo = async (page: Page, person: RegExp) => {
    await page.waitForURL(/\/demo\/spid-idp\/sso\?/);
    await page.getByRole('button', { name: person }).click();
  };
  const cieDemo = async (page: Page, person: RegExp) => {
    await page.waitForURL(/\/demo\/oidc-login\//);
    await page.getByRole('button', { name: person }).click();
  };

  /** The login page's SPID button, then the demo IdP. */
  async function loginPageSpid(page: Page, person: RegExp) {
    await page.locator('details.spid-button > summary').click();
    await page.locator('details.spid-button a', { hasText: 'Demo SPID' }).click();
    await spidDemo(page, person);
  }
  async function loginPageCie(page: Page, person: RegExp) {
    await page.locator('a.cie-button').click();
    await cieDemo(page, person);
  }

  async function goToService(page: Page, service: { id: string }) {
    await page.goto(`${base}/services/${service.id}`);
    await page.getByRole('link', { name: 'Vai al servizio' }).click();
  }

  async function expectAtService(
    v: Awaited<ReturnType<typeof visitor>>,
    service: { url: string },
    fiscalCode: string,
  ) {
    await v.page.waitForURL(service.url);
    expect(site.received).to.deep.equal([service.url]);
    expect(v.csp).to.deep.equal([]);
    const me = await v.page.goto(`${base}/me`);
    expect(await me!.text()).to.contain(fiscalCode);
  }

  it('anonymous, SPID demo IdP: sheet, "Vai al servizio", login, the body’s site', async () => {
    const v = await visitor();
    try {
      await goToService(v.page, NURSERY);
      await v.page.waitForURL(/\/login\?next=/);
      await loginPageSpid(v.page, /Giuseppe Verdi/);
      await expectAtService(v, NURSERY, 'VRDGPP70T10G999S');
    } finally {
      await v.close();
    }
  });

  it('anonymous, demo CIE provider: sheet, "Vai al servizio", login, the body’s site', async () => {
    const v = await visitor();
    try {
      await goToService(v.page, TARI);
      await v.page.waitForURL(/\/login\?next=/);
      await loginPageCie(v.page, /Laura Bianchi/);
      await expectAtService(v, TARI, 'BNCLRA85M41G999K');
    } finally {
      await v.close();
    }
  });

  it('level 1 with the SPID demo IdP: the step-up to level 2 ends on the body’s site', async () => {
    const v = await visitor();
    try {
      await v.page.goto(`${base}/login`);
      await loginPageSpid(v.page, /Giuseppe Verdi/);
      await v.page.waitForURL(`${base}/me`);
      await goToService(v.page, NURSERY);
      await spidDemo(v.page, /Giuseppe Verdi/);
      await expectAtService(v, NURSERY, 'VRDGPP70T10G999S');
    } finally {
      await v.close();
    }
  });

  it('level 1 with the demo CIE provider: the step-up to level 2 ends on the body’s site', async () => {
    const v = await visitor();
    try {
      await v.page.goto(`${base}/oidc/login/cie?level=1`);
      await cieDemo(v.page, /Laura Bianchi/);
      await v.page.waitForURL(`${base}/me`);
      await goToService(v.page, TARI);
      await cieDemo(v.page, /Laura Bianchi/);
      await expectAtService(v, TARI, 'BNCLRA85M41G999K');
    } finally {
      await v.close();
    }
  });

  it('without JavaScript: the IdP page’s "Continua", then on to the body’s site', async () => {
    const v = await visitor({ javaScriptEnabled: false });
    try {
      await goToService(v.page, NURSERY);
      await v.page.waitForURL(/\/login\?next=/);
      await loginPageSpid(v.page, /Giuseppe Verdi/);
      await v.page.waitForURL(/\/demo\/spid-idp\/login$/);
      await v.page.getByRole('button', { name: 'Continua' }).click();
      await expectAtService(v, NURSERY, 'VRDGPP70T10G999S');
    } finally {
      await v.close();
    }
  });
});
