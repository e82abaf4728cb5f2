import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, launchBrowserOrSkip } from '../helpers/browser.ts';
import {
  authorizationRequest,
  discoverClient,
  registerSsoService,
  startSsoGateway,
  type SsoGateway,
} from '../helpers/sso.ts';

/** A body's service on an origin of its own, recording what reaches it (method, path and query, body). */
async function startService() {
  const received: { method: string; url: URL; body: URLSearchParams }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url !== '/favicon.ico')
        received.push({
          method: req.method ?? '',
          url: new URL(req.url ?? '/', 'http://service'),
          body: new URLSearchParams(body),
        });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('service');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The consent and logout forms, and the form_post response mode, in a real browser with the service
 * on another origin: Chromium holds the redirects after a form submission to the page's CSP
 * form-action, so each answer must still reach the service, with no CSP violation.
 */
describe('single sign-on into a service on another origin, in a browser', function () {
  this.timeout(90_000);
  let op: SsoGateway;
  let service: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  const configs: Record<string, oidc.Configuration> = {};

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    service = await startService();
    op = await startSsoGateway();
    for (const id of ['cross-anagrafe', 'cross-tributi']) {
      const secret = await registerSsoService(op.gateway, {
        body: 'comune_cross',
        service: id,
        rpOrigin: service.origin,
        auth: { method: 'client_secret_basic' },
        claims: ['fiscal_number'],
      });
      configs[id] = await discoverClient(op.url, id, { secret: secret! });
    }
  });
  after(async () => {
    await browser?.close();
    await op?.close();
    await service?.close();
  });

  /** A citizen logged in at level 2 (each test its own, so no consent is remembered from another). */
  async function citizenPage(fiscalCode: string) {
    const context = await browser.newContext({ locale: 'it-IT' });
    const page = await context.newPage();
    const violations = cspViolations(page);
    await page.goto(`${op.url}/__test/login?fiscalCode=${fiscalCode}&level=2`);
    return { page, violations, close: () => context.close() };
  }

  const lastReceived = () => service.received.at(-1)!;
  const start = (id: string, extra: Record<string, string> = {}) =>
    authorizationRequest(configs[id]!, `${service.origin}/${id}/callback`, extra);

  async function answerConsent(page: Page, decision: 'allow' | 'deny', id: string) {
    await page.goto((await start(id)).url.href);
    expect(new URL(page.url()).pathname).to.match(/^\/sso\/interaction\//);
    await page.click(`button[name="decision"][value="${decision}"]`);
    await page.waitForURL(`${service.origin}/${id}/callback?**`);
  }

  it('brings the citizen back to the service after consent is given or refused', async () => {
    const { page, violations, close } = await citizenPage('RSSMRA80A01H501U');
    try {
      await answerConsent(page, 'allow', 'cross-anagrafe');
      expect(lastReceived().url.searchParams.get('code')).to.be.a('string');
      await answerConsent(page, 'deny', 'cross-tributi');
      expect(lastReceived().url.searchParams.get('error')).to.equal('access_denied');
      expect(violations).to.deep.equal([]);
    } finally {
      await close();
    }
  });

  it('posts the code to the service with response_mode=form_post', async () => {
    const { page, violations, close } = await citizenPage('BNCLRA85M41G999K');
    try {
      await answerConsent(page, 'allow', 'cross-anagrafe');
      const request = await start('cross-anagrafe', { response_mode: 'form_post' });
      await page.goto(request.url.href);
      await page.waitForURL(`${service.origin}/cross-anagrafe/callback`);
      expect(lastReceived().method).to.equal('POST');
      expect(lastReceived().body.get('code')).to.be.a('string');
      expect(lastReceived().body.get('state')).to.equal(request.state);
      expect(violations).to.deep.equal([]);
    } finally {
      await close();
    }
  });

  it("takes the citizen to the service's post-logout page after its logout", async () => {
    const { page, violations, close } = await citizenPage('FRNLCU90A01G999Z');
    try {
      await answerConsent(page, 'allow', 'cross-anagrafe');
      const logout = new URL(`${op.url}/op/session/end`);
      logout.search = new URLSearchParams({
        client_id: 'cross-anagrafe',
        post_logout_redirect_uri: `${service.origin}/cross-anagrafe/bye`,
        state: 'bye-state',
      }).toString();
      await page.goto(logout.href);
      await page.click('button[name="logout"][value="yes"]');
      await page.waitForURL(`${service.origin}/cross-anagrafe/bye?**`);
      expect(lastReceived().url.searchParams.get('state')).to.equal('bye-state');
      expect(violations).to.deep.equal([]);
    } finally {
      await close();
    }
  });
});
