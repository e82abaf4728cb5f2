import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { ASSETS } from '../../src/platform/views.ts';
import { launchBrowserOrSkip } from '../helpers/browser.ts';
import { ADMIN, EDITOR, visitPage, type Visit as PageVisit } from '../helpers/catalog-browser.ts';
import { createTestGateway, listen, type TestGateway } from '../helpers/gateway.ts';

/**
 * The pages link the UI kit's stylesheet cut to the rules they use (src/platform/kit-stylesheet.ts).
 * A rule cut by mistake (a class the cut did not see) changes how a page is drawn: each page below is
 * drawn twice, with the cut stylesheet and with the kit's whole one put in its place, and the two
 * pictures must be the same pixel for pixel — at a desktop's width and a phone's, with a state the kit's
 * script draws too (the SPID list open).
 */
const CUT = /\/css\/bootstrap-italia\.[0-9a-f]{16}\.min\.css$/;
const WIDTHS = [1280, 375];
const WHOLE = readFileSync(path.join(ASSETS.bootstrapItaliaDir, 'css/bootstrap-italia.min.css'));

interface Visit extends PageVisit {
  /** Clicked before the picture is taken (a state the kit's script draws). */
  click?: string;
  /** What differs from one request to the next (covered in both pictures). */
  mask?: string;
}

const visits: Visit[] = [
  { name: 'home page', path: '/', status: 200 },
  { name: 'search results', path: '/services?q=carta+identita', status: 200 },
  { name: 'info sheet', path: '/services/prato-carta-identita-elettronica', login: EDITOR, status: 200 },
  { name: 'login page, SPID list open', path: '/login', status: 200, click: 'details.spid-button > summary' },
  { name: 'personal area', path: '/me', login: EDITOR, status: 200 },
  { name: 'newborn bundle', path: '/procedures/newborn', login: EDITOR, status: 200 },
  { name: 'membership form, refused', path: '/join', refuse: { '#join-email': 'nope' }, status: 422 },
  {
    name: 'service form, refused',
    path: '/editor/bodies/c_g999/services/new',
    login: EDITOR,
    refuse: { '#service-id': 'prova-kit', '#service-link': 'javascript:alert(1)' },
    status: 422,
  },
  { name: "body's profile form", path: '/editor/bodies/c_g999/profile', login: EDITOR, status: 200 },
  { name: 'admin area', path: '/admin', login: ADMIN, status: 200 },
  // The request's reference changes with each request.
  { name: 'error page', path: '/no-such-page', status: 404, mask: 'main p.small.text-muted' },
];

/** Where two pictures differ (their sizes, or the box around the pixels that differ); undefined when the same. */
function pixelDifference(a: Buffer, b: Buffer): string | undefined {
  if (a.equals(b)) return undefined;
  const [one, two] = [PNG.sync.read(a), PNG.sync.read(b)];
  if (one.width !== two.width || one.height !== two.height)
    return `${one.width}×${one.height} px against ${two.width}×${two.height} px`;
  let [left, top, right, bottom, count] = [Infinity, Infinity, -1, -1, 0];
  for (let y = 0; y < one.height; y++) {
    for (let x = 0; x < one.width; x++) {
      const i = (y * one.width + x) * 4;
      if (one.data.readUInt32BE(i) === two.data.readUInt32BE(i)) continue;
      count++;
      [left, top, right, bottom] = [
        Math.min(left, x),
        Math.min(top, y),
        Math.max(right, x),
        Math.max(bottom, y),
      ];
    }
  }
  return count === 0
    ? undefined
    : `${count} pixels differ between (${left}, ${top}) and (${right}, ${bottom})`;
}

describe('the UI kit stylesheet cut to what the pages use', function () {
  this.timeout(180_000);
  let gateway: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    gateway = await createTestGateway({ registry: { admins: [ADMIN] } });
    await gateway.deps.catalog.writer.setEditors({ kind: 'system', id: 'test' }, 'c_g999', [EDITOR]);
    server = await listen(gateway.app);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await gateway?.close();
  });

  /**
   * Pictures of the page as its visitor sees it, drawn whole at each width: first with the cut
   * stylesheet, then with the kit's whole one put in its place on the same page (the same content,
   * the same focus, the same state of the kit's script).
   */
  async function pictures(visit: Visit) {
    const context = await browser.newContext({ locale: 'it-IT', reducedMotion: 'reduce' });
    await context.route(/[?&]whole$/, (route) => route.fulfill({ body: WHOLE, contentType: 'text/css' }));
    try {
      const page = await context.newPage();
      const response = await visitPage(page, server.url, visit);
      expect(response?.status(), visit.name).to.equal(visit.status);
      expect(await page.getAttribute('link[rel="stylesheet"]', 'href'), visit.name).to.match(CUT);
      await page.waitForFunction(() => 'bootstrap' in window);
      if (visit.click) await page.click(visit.click);
      const draw = async () => {
        await page.evaluate(async () => {
          await document.fonts.ready;
        });
        const drawn: Buffer[] = [];
        for (const width of WIDTHS) {
          await page.setViewportSize({ width, height: 900 });
          // Selects are compared by their computed style below: Chromium draws a select's text a pixel
          // lower once a larger stylesheet has replaced the one it was drawn with, whatever its rules.
          const mask = [page.locator('select'), ...(visit.mask ? [page.locator(visit.mask)] : [])];
          drawn.push(await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide', mask }));
        }
        const selects = await page.evaluate(() =>
          [...document.querySelectorAll('select, select option')].map((element) => {
            const style = getComputedStyle(element);
            return Array.from(style, (property) => `${property}: ${style.getPropertyValue(property)}`).join(
              '; ',
            );
          }),
        );
        return { drawn, selects };
      };
      const cut = await draw();
      await page.evaluate(
        () =>
          new Promise((resolve, reject) => {
            const link = document.querySelector<HTMLLinkElement>('link[rel="stylesheet"]')!;
            link.addEventListener('load', resolve, { once: true });
            link.addEventListener('error', reject, { once: true });
            link.href = `${link.href}?whole`;
          }),
      );
      return { cut, whole: await draw() };
    } finally {
      await context.close();
    }
  }

  it('is linked by the pages, cached for good, and a fraction of the whole', async () => {
    const home = await fetch(`${server.url}/`).then((response) => response.text());
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(home)?.[1];
    expect(href).to.match(CUT);
    const response = await fetch(`${server.url}${href}`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
    const cut = Buffer.from(await response.arrayBuffer());
    expect(cut.length).to.be.below(WHOLE.length / 3);
  });

  it(`draws every page as the whole stylesheet does (${WIDTHS.join(' and ')} px)`, async function () {
    this.timeout(600_000);
    const different: string[] = [];
    for (const visit of visits) {
      const { cut, whole } = await pictures(visit);
      if (JSON.stringify(cut.selects) !== JSON.stringify(whole.selects))
        different.push(`${visit.name}: selects`);
      WIDTHS.forEach((width, i) => {
        const difference = pixelDifference(cut.drawn[i]!, whole.drawn[i]!);
        if (difference) different.push(`${visit.name} (${width} px): ${difference}`);
      });
    }
    expect(different).to.deep.equal([]);
  });
});
