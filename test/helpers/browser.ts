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
