import { expect } from 'chai';
import https from 'node:https';
import type { Browser } from 'playwright-core';
import { launchBrowserOrSkip } from '../helpers/browser.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { sparePort } from '../helpers/sso.ts';
import { testCertificate } from '../helpers/tls.ts';

/** What a first visit downloads: the home page with nothing cached, measured as it crossed the wire. */
const FIRST_VISIT_LIMIT = 500_000;

/**
 * Over https, as in production: browsers offer brotli to secure origins only. The gateway's certificate
 * is made for this run; the browser context is told to accept it.
 */
describe('a first visit in a browser', function () {
  this.timeout(60_000);
  let browser: Browser;
  let gateway: TestGateway;
  let server: https.Server;
  let url: string;
  before(async function () {
    browser = await launchBrowserOrSkip(this);
    const port = await sparePort();
    url = `https://localhost:${port}`;
    gateway = await createTestGateway({ http: { publicUrl: url } });
    server = https.createServer(testCertificate('localhost'), gateway.app);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await gateway?.close();
  });

  for (const width of [1280, 375]) {
    it(`transfers at most ${FIRST_VISIT_LIMIT / 1000} kB for the home page, compressed (${width}px)`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 800 }, ignoreHTTPSErrors: true });
      const page = await context.newPage();
      const responses: Array<{ url: string; encoding?: string; type?: string; size: Promise<number> }> = [];
      page.on('response', (response) => {
        const headers = response.headers();
        const size = response
          .request()
          .sizes()
          .then((s) => s.responseBodySize + s.responseHeadersSize);
        responses.push({
          url: response.url(),
          encoding: headers['content-encoding'],
          type: headers['content-type'],
          size,
        });
      });
      await page.goto(url, { waitUntil: 'networkidle' });
      const total = (await Promise.all(responses.map((r) => r.size))).reduce((a, b) => a + b, 0);
      await context.close();
      process.stdout.write(
        `      first visit at ${width}px: ${responses.length} responses, ${total} bytes\n`,
      );
      expect(total).to.be.at.most(FIRST_VISIT_LIMIT);
      // Everything textual came compressed with brotli.
      const textual = responses.filter((r) => /text\/(html|css)|javascript|svg/.test(r.type ?? ''));
      expect(textual.length).to.be.greaterThan(2);
      for (const r of textual) expect(r.encoding, r.url).to.equal('br');
    });
  }
});
