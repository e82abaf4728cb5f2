import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A self-signed certificate for `host`, made by openssl for one test run (test-only key, never kept): a
 * gateway given it as its only trusted authority reaches a local https server under that name.
 */
export function testCertificate(host: string): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'varco-tls-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-days', '1', '-keyout', key, '-out', cert, '-subj', `/CN=${host}`],
        ...['-addext', `subjectAltName=DNS:${host}`],
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
