import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
 * Launches headless Chromium for a `before` hook (`extraArgs`: more command-line switches, such as
 * --host-resolver-rules to answer a body's site from a local stub). Where it is not installed, the browser tests are
 * skipped with a notice on a developer's machine (so `npm test` works on a fresh one) and fail in CI.
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
