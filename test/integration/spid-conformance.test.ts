import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { sparePort } from '../../src/platform/embedded-redis.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import {
  readSpidSpTestReport,
  runSpidSpTest,
  spidSpTestIdpMetadataOrSkip,
  type CheckResult,
} from '../helpers/spid-sp-test.ts';

/** The tool's test IdP (`spid-sp-test.sh idp-metadata`). */
const TOOL_IDP = 'https://localhost:8443';

/**
 * What spid-sp-test 1.2.17 checks of a public-sector SP (profile spid-sp-public, --extra, -tr). At level 1
 * the AuthnRequest has 40 checks: the four about ForceAuthn apply only to SpidL2 and SpidL3.
 */
const EXPECTED = {
  metadata_extra: { 1: 107, 2: 107, 3: 107 },
  authnrequest_extra: { 1: 40, 2: 44, 3: 44 },
  response: { 1: 111, 2: 111, 3: 111 },
} as const;

/** The one production check that asks AgID's IPA registry (indicepa.gov.it) online: out of reach offline. */
const IPA_REGISTRY_LOOKUP = 'The IPACode element MUST have a valid value present on IPA';

const failuresOf = (results: CheckResult[]) =>
  results.filter((r) => r.result !== 'success').map((r) => `${r.test} (${r.result}: ${String(r.value)})`);

// The tool sends about two requests per Response test from one address: far beyond what one office sends.
const CONFORMANCE_LIMITS = {
  login: { windowSeconds: 60, max: 100_000 },
  loginReturn: { windowSeconds: 60, max: 100_000 },
};

describe("AgID's SPID conformance tool (spid-sp-test), as AgID runs it", function () {
  let home: string;
  let gateway: TestGateway;
  let server: Server;
  let baseUrl: string;

  before(async function () {
    this.timeout(120_000);
    home = mkdtempSync(path.join(tmpdir(), 'varco-spid-sp-test-'));
    const idpMetadata = await spidSpTestIdpMetadataOrSkip(this, home);
    // Trusted the way an operator trusts an IdP: its metadata file in the metadata folder.
    const metadataDir = path.join(home, 'trusted-idps');
    mkdirSync(metadataDir);
    writeFileSync(path.join(metadataDir, 'spid-sp-test.xml'), idpMetadata);

    // The tool reads the ACS from the metadata and posts there: the public URL is where we listen.
    const port = await sparePort();
    baseUrl = `http://127.0.0.1:${port}`;
    gateway = await createTestGateway({
      http: { port, publicUrl: baseUrl },
      spid: { metadataDir, varDir: path.join(home, 'sp-keys') },
      rateLimit: CONFORMANCE_LIMITS,
    });
    expect(gateway.deps.spid.idps.get(TOOL_IDP), 'the tool IdP is trusted').to.not.equal(undefined);
    server = await new Promise<Server>((resolve) => {
      const listening = gateway.app.listen(port, '127.0.0.1', () => resolve(listening));
    });
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await gateway?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** Runs the tool with `args`, its JSON report written to `name` in its folder, and reads the report. */
  async function runToReport(name: string, args: string[]) {
    const report = path.join(home, name);
    const run = await runSpidSpTest(['run', ...args, '-rf', 'json', '-o', report, '-d', 'ERROR'], home);
    return { run, results: readSpidSpTestReport(report) };
  }

  for (const level of [1, 2, 3] as const) {
    it(`passes every metadata, AuthnRequest and Response check at level ${level}, none skipped`, async function () {
      // 25-35 s per level on two idle cores (111 Responses, each after a fresh login); two minutes on a
      // heavily shared machine.
      this.timeout(300_000);
      const { run, results } = await runToReport(`report-L${level}.json`, [
        '--metadata-url',
        `${baseUrl}/spid/metadata`,
        '--authn-url',
        `${baseUrl}/spid/login?idp=${encodeURIComponent(TOOL_IDP)}&level=${level}`,
        '--extra',
        '-tr',
      ]);
      for (const [category, counts] of Object.entries(EXPECTED)) {
        const checks = results.get(category) ?? [];
        expect(failuresOf(checks), `${category} at level ${level}:\n${run.stderr}`).to.deep.equal([]);
        expect(checks, `${category} at level ${level}: checks run`).to.have.length(counts[level]);
      }
      expect(run.code, run.stderr).to.equal(0);
    });
  }

  it('passes the production checks of the metadata, the SP certificate profile among them', async function () {
    this.timeout(60_000);
    // --production asks for an https entityID and endpoints without a port, as deployed; AgID checks the
    // published metadata that way. The Response tests stay at the levels above: with --production the
    // tool would also refuse its own test IdP's address (port 8443) in the AuthnRequest's Destination.
    const deployed = await createTestGateway({
      http: { publicUrl: 'https://varco.example.it' },
      spid: { varDir: path.join(home, 'deployed-keys') },
    });
    try {
      const metadata = await request(deployed.app).get('/spid/metadata').expect(200);
      const file = path.join(home, 'deployed-metadata.xml');
      writeFileSync(file, metadata.text);
      const { run, results } = await runToReport('report-production.json', [
        '--metadata-url',
        `file://${file}`,
        '--extra',
        '--production',
      ]);
      const checks = results.get('metadata_extra') ?? [];
      const certificateChecks = checks.filter((c) => c.test.startsWith('SPID Compliant Certificates'));
      expect(certificateChecks.length, 'the certificate profile was checked').to.be.greaterThan(30);
      expect(failuresOf(checks.filter((c) => c.test !== IPA_REGISTRY_LOOKUP)), run.stderr).to.deep.equal([]);
      expect(checks.length).to.be.greaterThan(EXPECTED.metadata_extra[1]);
    } finally {
      await deployed.close();
    }
  });
});
