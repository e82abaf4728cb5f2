/**
 * Complete OpenID Connect logins per second through the gateway — /oidc/login (flow in Redis), the
 * provider (a real oidc-provider on 127.0.0.1), /oidc/callback (code exchange, id_token signature and
 * claims checks, userinfo, session, citizen record) — against a bare openid-client relying party doing
 * the same protocol with the same provider in the same run, without Redis, sessions or pages. The
 * ratio is the share of the bare rate the gateway keeps. Needs the test Redis (own key prefix).
 * Run: npx tsx bench/oidc-login.ts [logins]
 */
import { pathToFileURL } from 'node:url';
import * as client from 'openid-client';
import request from 'supertest';
import { createTestGateway, listen } from '../test/helpers/gateway.ts';
import {
  oidcConfig,
  providerAgent,
  startTestOp,
  TEST_CLIENT_ID,
  TEST_ONLY_CLIENT_SECRET,
  testDescriptor,
  throughProvider,
  writeProvidersDir,
} from '../test/helpers/oidc.ts';

const DEFAULT_LOGINS = 200;
const PUBLIC_URL = 'http://localhost:3000';
const CALLBACK = `${PUBLIC_URL}/oidc/callback/bench`;

async function perSecond(logins: number, once: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 10; i++) await once(); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < logins; i++) await once();
  return logins / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Measures gateway logins per second against a bare relying party; prints and returns the figures. */
export async function runOidcLoginBench(
  options: { logins?: number; print?: ((line: string) => void) | null } = {},
) {
  const logins = options.logins ?? DEFAULT_LOGINS;
  const print = options.print === undefined ? (line: string) => console.log(line) : options.print;
  const op = await startTestOp({ redirectUris: [CALLBACK] });
  const providers = writeProvidersDir({ bench: testDescriptor(op) });
  const gateway = await createTestGateway({
    ...oidcConfig(providers.dir, { timeoutSeconds: 10 }),
    rateLimit: {
      login: { windowSeconds: 60, max: 1_000_000 },
      loginReturn: { windowSeconds: 60, max: 1_000_000 },
    },
    log: { level: 'silent' },
  });
  // Listening once, as a server does (supertest would start a server per request otherwise).
  const server = await listen(gateway.app);
  try {
    await gateway.deps.oidc.registry.settled();
    const descriptor = gateway.deps.oidc.registry.get('bench')!;
    const viaGateway = await perSecond(logins, async () => {
      const agent = request.agent(server.url);
      const start = await agent.get('/oidc/login/bench?level=2').expect(303);
      await agent.get(await throughProvider(start.headers.location ?? '', providerAgent(op))).expect(303);
    });

    const bare = await client.discovery(
      new URL(op.issuer),
      TEST_CLIENT_ID,
      {},
      client.ClientSecretBasic(TEST_ONLY_CLIENT_SECRET),
      { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
    );
    const bareRp = await perSecond(logins, async () => {
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(bare, {
        redirect_uri: CALLBACK,
        scope: descriptor.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        acr_values: descriptor.acr[2] ?? '',
        prompt: descriptor.prompt,
      });
      const callback = await throughProvider(url.href, providerAgent(op));
      const tokens = await client.authorizationCodeGrant(bare, new URL(callback, PUBLIC_URL), {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      await client.fetchUserInfo(bare, tokens.access_token, tokens.claims()!.sub);
    });

    const figures = {
      bench: 'oidc-login' as const,
      logins,
      loginsPerSecond: Math.round(viaGateway * 10) / 10,
      bareRelyingPartyLoginsPerSecond: Math.round(bareRp * 10) / 10,
      ratio: Math.round((viaGateway / bareRp) * 1000) / 1000,
    };
    print?.(JSON.stringify(figures));
    return figures;
  } finally {
    await server.close();
    await gateway.close();
    await op.close();
    providers.remove();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await runOidcLoginBench(process.argv[2] ? { logins: Number(process.argv[2]) } : {});
