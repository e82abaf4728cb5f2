import { expect } from 'chai';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestGateway, type TestGateway } from './gateway.ts';
import { sparePort } from './sso.ts';

/** Debian's Chromium (playwright-core cannot download its own browser on these machines). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Without the background-networking flags Chromium keeps trying to reach Google's hosts. */
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** CI (.ci/run) sets VARCO_BROWSER_TESTS=required: there a missing Chromium fails the suite. */
const REQUIRED = process.env.VARCO_BROWSER_TESTS === 'required';

/**
 * Launches headless Chromium for a `before` hook (`extraArgs`: more command-line switches). Where it
 * is not installed, the browser tests are skipped with a notice on a developer's machine (so
 * `npm test` works on a fresh one) and fail in CI.
 */
export async function launchBrowserOrSkip(
  context: Mocha.Context,
  extraArgs: readonly string[] = [],
): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    const advice = `Chromium is missing at ${CHROMIUM}: install it with "apt-get install -y chromium" or set CHROMIUM_PATH.`;
    if (REQUIRED) throw new Error(`The browser tests are required here. ${advice}`);
    process.stderr.write(`\n  browser tests skipped. ${advice}\n\n`);
    context.skip();
  }
  return chromium.launch({ executablePath: CHROMIUM, args: [...LAUNCH_ARGS, ...extraArgs] });
}

export interface BrowsedGateway extends TestGateway {
  /** Its address, which is also its public URL (SAML and OpenID answers come back to it). */
  url: string;
}

/**
 * A test gateway listening on 127.0.0.1 with its real address as its public URL, as a browser needs to
 * follow the login's redirects back to it. `port`: when the address must be known before the
 * configuration (an identity provider registered with the gateway's return address).
 */
export async function startBrowsedGateway(
  overrides: Record<string, unknown> = {},
  port?: number,
): Promise<BrowsedGateway> {
  const listenOn = port ?? (await sparePort());
  const url = `http://127.0.0.1:${listenOn}`;
  const http = { ...(overrides.http as object | undefined), publicUrl: url };
  const gateway = await createTestGateway({ ...overrides, http });
  const server = await new Promise<Server>((resolve) => {
    const s = gateway.app.listen(listenOn, '127.0.0.1', () => resolve(s));
  });
  return {
    ...gateway,
    url,
    /** Stops listening, then closes the gateway. */
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}

/** The rules the pages are held to: WCAG 2.1, levels A and AA. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** axe-core's WCAG 2.1 A/AA violations on the page, one line each: rule, impact, help, elements. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Injected through the DevTools protocol: an inline <script> would (rightly) be blocked by the CSP.
  await page.evaluate(axe.source);
  const results = await page.evaluate(
    (tags) =>
      (window as unknown as { axe: typeof axe }).axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        // Every violation is still reported whole; passes and the rest keep one element per rule
        // instead of all of them, which axe-core documents as its option for speed.
        resultTypes: ['violations'],
      }),
    WCAG_TAGS,
  );
  return results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** The Content-Security-Policy violations Chromium reports on the page's console, filled as they come. */
export function cspViolations(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) found.push(message.text());
  });
  return found;
}

/**
 * What a person cannot read or tap on the page's forms, which axe does not see: a label, legend or
 * hint whose text is drawn over another's text or over a field it does not name, and a control that a
 * tap on its centre does not reach (something else is drawn on top). The kit's radios and checkboxes
 * are drawn by their label (the input itself is transparent), so theirs is the point tapped. One line
 * per problem; empty when every form can be read and used by touch. Opens the page's disclosures.
 */
export async function overlapProblems(page: Page): Promise<string[]> {
  // No named functions inside: tsx would wrap them in a helper the page does not have.
  return page.evaluate(() => {
    // Forms behind a disclosure are opened, so they are checked too.
    for (const details of document.querySelectorAll<HTMLDetailsElement>('main details')) details.open = true;
    const visible = [
      ...document.querySelectorAll<HTMLElement>(
        'main label, main legend, main .form-text, main input:not([type="hidden"]), main select, main textarea, main button',
      ),
    ].filter((e) => {
      const box = e.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && e.checkVisibility({ visibilityProperty: true });
    });
    const controls = 'input, select, textarea, button';
    // What is drawn, in page coordinates: each line of a text, each control the kit does not hide
    // (its radios and checkboxes are transparent, drawn by their label).
    const drawn = visible.flatMap((element) => {
      let rects: DOMRect[];
      if (element.matches(controls)) {
        rects = getComputedStyle(element).opacity === '0' ? [] : [element.getBoundingClientRect()];
      } else {
        const range = document.createRange();
        range.selectNodeContents(element);
        rects = [...range.getClientRects()].filter((r) => r.width > 1 && r.height > 1);
      }
      return rects.map((r) => ({
        element,
        left: r.left + scrollX,
        right: r.right + scrollX,
        top: r.top + scrollY,
        bottom: r.bottom + scrollY,
      }));
    });
    const clashes: [Element, Element, string][] = [];
    for (const [i, a] of drawn.entries()) {
      for (const b of drawn.slice(i + 1)) {
        const across = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const down = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (across <= 1 || down <= 1) continue;
        if (a.element === b.element || a.element.contains(b.element) || b.element.contains(a.element))
          continue;
        if (a.element.matches(controls) && b.element.matches(controls)) continue;
        // A label drawn over its own field is the kit's floating label at rest, not a clash.
        const [text, other] = a.element.matches(controls) ? [b.element, a.element] : [a.element, b.element];
        if ([...((other as HTMLInputElement).labels ?? [])].includes(text as HTMLLabelElement)) continue;
        if (!clashes.some(([x, y]) => x === text && y === other))
          clashes.push([text, other, 'is drawn over']);
      }
    }
    // A tap on each control's centre (on its label's first line for the kit's radios and checkboxes).
    for (const control of visible.filter((e) => e.matches(controls)) as HTMLInputElement[]) {
      const labels = [...(control.labels ?? [])];
      const own = getComputedStyle(control).opacity !== '0';
      const target = own ? control : labels[0];
      if (!target) continue;
      target.scrollIntoView({ block: 'center', behavior: 'instant' });
      const range = document.createRange();
      range.selectNodeContents(target);
      const r = own
        ? target.getBoundingClientRect()
        : (range.getClientRects()[0] ?? target.getBoundingClientRect());
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (hit && !control.contains(hit) && !labels.some((l) => l.contains(hit)))
        clashes.push([control, hit, 'tapped lands on']);
    }
    scrollTo({ top: 0, behavior: 'instant' });
    return clashes.map(([a, b, what]) =>
      [a, what, b]
        .map((e) =>
          typeof e === 'string'
            ? e
            : `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} "${(e.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40)}"`,
        )
        .join(' '),
    );
  });
}

/** A page the page checks open: its name in the test titles, its path (known once the test has set up), its visitor. */
export interface CheckedPage {
  name: string;
  path: () => string;
  /** A fiscal code to log in with first (the test-only login), for a page of the personal area or staff. */
  login?: string;
  /** What else the page must show, checked once it is open. */
  shows?: (page: Page) => Promise<void>;
}

/**
 * Declares, for each page, in Italian at a desktop's and a phone's width and in English at a desktop's
 * (the narrow markup is the same in both languages), a test that opens it (200, in its language) and
 * finds no axe-core WCAG 2.1 A/AA violation, no label or control drawn over another, nothing wider than
 * the window and no CSP violation. `opened` gives the browser and the gateway's address once the
 * suite's `before` has started them.
 */
export function itChecksPages(
  pages: readonly CheckedPage[],
  opened: () => { browser: Browser; url: string },
) {
  for (const language of ['it', 'en'] as const) {
    for (const width of language === 'it' ? [1280, 375] : [1280]) {
      for (const { name, path, login, shows } of pages) {
        it(`${name} (${language}, ${width}px): accessible, readable and usable by touch`, async () => {
          const { browser, url } = opened();
          const context = await browser.newContext({
            viewport: { width, height: 812 },
            locale: language === 'it' ? 'it-IT' : 'en-GB',
          });
          try {
            const page = await context.newPage();
            const csp = cspViolations(page);
            if (login) await page.goto(`${url}/__test/login?fiscalCode=${login}`);
            const response = await page.goto(`${url}${path()}`, { waitUntil: 'load' });
            expect(response?.status()).to.equal(200);
            expect(await page.getAttribute('html', 'lang')).to.equal(language);
            await shows?.(page);
            expect(await axeViolations(page)).to.deep.equal([]);
            expect(await overlapProblems(page)).to.deep.equal([]);
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
            expect(overflow).to.be.at.most(width);
            expect(csp).to.deep.equal([]);
          } finally {
            await context.close();
          }
        });
      }
    }
  }
}
