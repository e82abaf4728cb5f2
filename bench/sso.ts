/**
 * Single sign-on round trips per second for a citizen who is already logged in and already consented:
 * the authorization request (cookies of the browser, PKCE, state, nonce) answered with a code, and the
 * code exchanged at the token endpoint (client_secret_basic) for a signed id_token — through the gateway
 * over HTTP (its session, Redis adapter, catalog clients, consent, pairwise sub, access history), against
 * a bare oidc-provider with its in-memory adapter, the same signing key and the same client code (openid-
 * client 6) in the same run. Needs the test Redis (127.0.0.1:6379); the gateway writes under its own key
 * prefix and deletes it afterwards.
 * Run: npx tsx bench/sso.ts [round trips per browser] [browsers], or import `runSsoBench`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import * as oidc from 'openid-client';
import {
  TestBrowser,
  authorizationRequest,
  enterService,
  registerSsoService,
  startSsoGateway,
} from '../test/helpers/sso.ts';

const DEFAULT_ROUND_TRIPS = 200;
const DEFAULT_BROWSERS = 4;
const WARM_UP = 10;
const RP = 'http://127.0.0.1:9';
const UNLIMITED = { windowSeconds: 60, max: 1_000_000 };

export interface SsoBenchOptions {
  /** Round trips measured per browser (default 200), after 10 not counted. */
  roundTrips?: number;
  /** Browsers (citizens' sessions) running at once (default 4). */
  browsers?: number;
  /** Where the figures are printed as one JSON line (default console.log; null: silent). */
  print?: ((line: string) => void) | null;
}

/** One round trip: authorization (no page: session and consent exist), then the token endpoint. */
async function roundTrip(browser: TestBrowser, config: oidc.Configuration, redirectUri: string) {
  const start = await authorizationRequest(config, redirectUri);
  const step = await browser.follow(start.url.href);
  if (!step.left) throw new Error(`no code: ${step.response.status} at ${step.url.pathname}`);
  const tokens = await oidc.authorizationCodeGrant(config, step.left, {
    pkceCodeVerifier: start.verifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
  if (!tokens.id_token) throw new Error('no id_token');
}

/** Round trips per second of `browsers` browsers in parallel, `count` each. */
async function measure(
  browsers: TestBrowser[],
  config: oidc.Configuration,
  redirectUri: string,
  count: number,
) {
  await Promise.all(
    browsers.map(async (b) => {
      for (let i = 0; i < WARM_UP; i++) await roundTrip(b, config, redirectUri);
    }),
  );
  const started = process.hrtime.bigint();
  await Promise.all(
    browsers.map(async (b) => {
      for (let i = 0; i < count; i++) await roundTrip(b, config, redirectUri);
    }),
  );
  return (browsers.length * count) / (Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * The baseline: oidc-provider as its README sets it up (in-memory adapter, one static client), with an
 * interaction handler that logs the one account in and grants the openid scope, once per browser.
 */
async function startBareProvider(signingKey: object) {
  const secret = randomBytes(24).toString('base64url');
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'bare',
        client_secret: secret,
        redirect_uris: [`${RP}/bare/callback`],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingKey as never] },
    cookies: { keys: [randomBytes(24).toString('hex')] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub }),
    }),
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({ accountId: 'bench', clientId: String(details.params.client_id) });
      grant.addOIDCScope('openid');
      const result =
        details.prompt.name === 'login'
          ? { login: { accountId: 'bench' } }
          : { consent: { grantId: await grant.save() } };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
    })().catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  return {
    issuer,
    secret,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Measures the gateway's round trips per second against the bare provider's; prints and returns the figures. */
export async function runSsoBench(options: SsoBenchOptions = {}) {
  const count = options.roundTrips ?? DEFAULT_ROUND_TRIPS;
  const browserCount = options.browsers ?? DEFAULT_BROWSERS;
  const print = options.print === undefined ? (line: string) => console.log(line) : options.print;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig' };

  const op = await startSsoGateway({
    sso: { signingKeys: JSON.stringify({ keys: [signingKey] }) },
    // The browsers and the relying party share one address here: no limit may stop the run.
    rateLimit: {
      login: UNLIMITED,
      loginReturn: UNLIMITED,
      forms: UNLIMITED,
      ssoEndpoints: UNLIMITED,
      ssoToken: UNLIMITED,
    },
    log: { level: 'silent' },
  });
  const bare = await startBareProvider(signingKey);
  try {
    const secret = await registerSsoService(op.gateway, {
      body: 'comune_bench',
      service: 'bench-sso',
      rpOrigin: RP,
      auth: { method: 'client_secret_basic' },
      claims: ['fiscal_number', 'given_name', 'family_name'],
    });
    const execute = [oidc.allowInsecureRequests];
    const gatewayConfig = await oidc.discovery(
      new URL(op.url),
      'bench-sso',
      undefined,
      oidc.ClientSecretBasic(secret!),
      { execute },
    );
    const bareConfig = await oidc.discovery(
      new URL(bare.issuer),
      'bare',
      undefined,
      oidc.ClientSecretBasic(bare.secret),
      { execute },
    );

    // Every browser logs in and consents once: the measured trips show no page.
    const gatewayBrowsers = await Promise.all(
      Array.from({ length: browserCount }, async (_, i) => {
        const browser = new TestBrowser(op.url);
        await browser.login(`BNCHMR80A01H50${i % 10}X`, 2);
        await enterService(browser, gatewayConfig, `${RP}/bench-sso/callback`);
        return browser;
      }),
    );
    const bareBrowsers = await Promise.all(
      Array.from({ length: browserCount }, async () => {
        const browser = new TestBrowser(bare.issuer);
        await enterBare(browser, bareConfig);
        return browser;
      }),
    );

    // Alternated, so a change in the machine's load touches both alike.
    const gatewayRates: number[] = [];
    const bareRates: number[] = [];
    for (let round = 0; round < 2; round++) {
      bareRates.push(await measure(bareBrowsers, bareConfig, `${RP}/bare/callback`, count / 2));
      gatewayRates.push(await measure(gatewayBrowsers, gatewayConfig, `${RP}/bench-sso/callback`, count / 2));
    }
    const gatewayPerSecond = gatewayRates.reduce((a, b) => a + b) / gatewayRates.length;
    const barePerSecond = bareRates.reduce((a, b) => a + b) / bareRates.length;
    const figures = {
      bench: 'sso' as const,
      roundTrips: count * browserCount,
      browsers: browserCount,
      gatewayRoundTripsPerSecond: Math.round(gatewayPerSecond * 10) / 10,
      bareOidcProviderRoundTripsPerSecond: Math.round(barePerSecond * 10) / 10,
      ratio: Math.round((gatewayPerSecond / barePerSecond) * 1000) / 1000,
    };
    print?.(JSON.stringify(figures));
    return figures;
  } finally {
    await bare.close();
    await op.close();
  }
}

/** The bare provider's first login and consent for a browser (its own interaction handler answers both). */
async function enterBare(browser: TestBrowser, config: oidc.Configuration) {
  const start = await authorizationRequest(config, `${RP}/bare/callback`);
  const step = await browser.follow(start.url.href);
  if (!step.left) throw new Error(`bare provider: no code (${step.response.status})`);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  await runSsoBench({
    ...(process.argv[2] ? { roundTrips: Number(process.argv[2]) } : {}),
    ...(process.argv[3] ? { browsers: Number(process.argv[3]) } : {}),
  });
  process.exit(0);
}
