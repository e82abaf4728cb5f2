import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * AgID's SPID conformance tool for service providers (spid-sp-test), kept with everything it needs
 * offline in the shared folder beside the repository (../shared/tools/spid-sp-test.sh, see its header).
 * CI (.ci/run, CI=true) installs its Debian packages and requires it; elsewhere the tests that use it
 * are skipped with a notice when it or its packages are absent.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const SPID_SP_TEST = path.resolve(REPO, '..', 'shared', 'tools', 'spid-sp-test.sh');
const REQUIRED = process.env.CI === 'true';

/**
 * The metadata of the tool's test IdP, for the SP under test to trust. Where the tool or its Debian
 * packages are missing, the calling tests are skipped with a notice, or fail in CI.
 */
export async function spidSpTestIdpMetadataOrSkip(context: Mocha.Context, home: string): Promise<string> {
  const skip = (advice: string): never => {
    if (REQUIRED) throw new Error(`The SPID conformance test is required in CI. ${advice}`);
    process.stderr.write(`\n  SPID conformance tests skipped. ${advice}\n\n`);
    context.skip();
  };
  if (!existsSync(SPID_SP_TEST))
    skip(`AgID's spid-sp-test is missing at ${SPID_SP_TEST} (the shared folder beside the repository).`);
  const run = await runSpidSpTest(['idp-metadata'], home);
  // Exit code 3: its Debian packages are not installed (see the script's header).
  if (run.code === 3) skip(`Install its Debian packages first: bash ${SPID_SP_TEST} setup`);
  if (run.code !== 0) throw new Error(`spid-sp-test idp-metadata failed:\n${run.stderr}`);
  return run.stdout;
}

/**
 * Runs `spid-sp-test.sh <args>` without blocking the event loop (the gateway under test answers in this
 * same process). `home` is the tool's working folder (SPID_SP_TEST_HOME): its test IdP's key lives there.
 */
export function runSpidSpTest(
  args: string[],
  home: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SPID_SP_TEST, ...args], {
      env: { PATH: process.env.PATH, HOME: home, SPID_SP_TEST_HOME: home, PYTHONIOENCODING: 'utf-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface CheckResult {
  /** What was checked (the tool gives a few of them as a list of one string: joined here). */
  test: string;
  result: string;
  value?: unknown;
}

interface RawResult {
  test: string | string[];
  result: string;
  value?: unknown;
}

/** The tool's JSON report (-rf json -o FILE): its results by category (metadata_extra, authnrequest_extra, response). */
export function readSpidSpTestReport(file: string): Map<string, CheckResult[]> {
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    test: { sp: Record<string, Record<string, RawResult[]>> };
  };
  return new Map(
    Object.entries(report.test.sp).map(([category, byClass]) => [
      category,
      Object.values(byClass)
        .flat()
        .map((r) => ({ ...r, test: [r.test].flat().join(' ') })),
    ]),
  );
}
