/**
 * Complete SPID logins per second — AuthnRequest (signed, Redirect binding), the IdP's signed
 * Response (Assertion and Response signed), validation at the ACS and the session — against the raw
 * RSA operations one login needs (3 RSA-SHA256 signatures, 2 verifications, 2048-bit keys),
 * measured with node:crypto in the same run. Needs the test Redis (127.0.0.1:6379, own key prefix).
 * Run: npx tsx bench/spid-login.ts [logins], or import `runSpidLoginBench` (bench/run.ts does).
 */
import { createSign, createVerify } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { createTestGateway } from '../test/helpers/gateway.ts';
import { base64, createTestIdp, signedResponse, startLogin } from '../test/helpers/saml.ts';

const DEFAULT_LOGINS = 200;
const SIGNS_PER_LOGIN = 3; // AuthnRequest (SP), Assertion and Response (IdP)
const VERIFIES_PER_LOGIN = 2; // Response and Assertion signatures (SP, in node-saml)

function rawRsaPerSecond(key: string, cert: string, rounds: number): number {
  const data = Buffer.alloc(512, 7);
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    let signature = Buffer.alloc(0);
    for (let s = 0; s < SIGNS_PER_LOGIN; s++) signature = createSign('RSA-SHA256').update(data).sign(key);
    for (let v = 0; v < VERIFIES_PER_LOGIN; v++)
      createVerify('RSA-SHA256').update(data).verify(cert, signature);
  }
  return rounds / (Number(process.hrtime.bigint() - started) / 1e9);
}

export interface SpidLoginBenchOptions {
  /** Logins measured (default 200), after 10 not counted. */
  logins?: number;
  /** Where the figures are printed as one JSON line (default console.log; null: silent). */
  print?: ((line: string) => void) | null;
}

/** Measures complete SPID logins per second against the raw RSA operations they need; prints and returns the figures. */
export async function runSpidLoginBench(options: SpidLoginBenchOptions = {}) {
  const logins = options.logins ?? DEFAULT_LOGINS;
  const print = options.print === undefined ? (line: string) => console.log(line) : options.print;
  const idp = createTestIdp();
  const gateway = await createTestGateway({
    rateLimit: {
      login: { windowSeconds: 60, max: 1_000_000 },
      loginReturn: { windowSeconds: 60, max: 1_000_000 },
    },
    log: { level: 'silent' },
  });
  gateway.deps.spid.idps.add(idp.descriptor);
  try {
    const once = async () => {
      const started = await startLogin(request.agent(gateway.app), idp, 2);
      const xml = signedResponse(gateway, idp, started.id);
      await request(gateway.app)
        .post('/spid/acs')
        .type('form')
        .send({ SAMLResponse: base64(xml), RelayState: started.relayState })
        .expect(303);
    };
    for (let i = 0; i < 10; i++) await once(); // warm-up
    const started = process.hrtime.bigint();
    for (let i = 0; i < logins; i++) await once();
    const loginsPerSecond = logins / (Number(process.hrtime.bigint() - started) / 1e9);
    const rawPerSecond = rawRsaPerSecond(idp.keys.key, idp.keys.cert, logins);
    const ratio = loginsPerSecond / rawPerSecond;
    const figures = {
      bench: 'spid-login' as const,
      logins,
      loginsPerSecond: Math.round(loginsPerSecond * 10) / 10,
      rawRsaLoginsPerSecond: Math.round(rawPerSecond * 10) / 10,
      rsaOperationsPerLogin: { sign: SIGNS_PER_LOGIN, verify: VERIFIES_PER_LOGIN },
      ratio: Math.round(ratio * 1000) / 1000,
    };
    print?.(JSON.stringify(figures));
    return figures;
  } finally {
    await gateway.close();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await runSpidLoginBench(process.argv[2] ? { logins: Number(process.argv[2]) } : {});
