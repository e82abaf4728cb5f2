import type { Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import * as cheerio from 'cheerio';
import * as oidc from 'openid-client';
import { createApp } from '../../src/app.ts';
import type { Actor } from '../../src/catalog/model.ts';
import { createTestGateway, testConfig, testLoginRoutes, type TestGateway } from './gateway.ts';
import { testBody, testService } from '../integration/catalog-fixtures.ts';
import type { Level } from '../../src/identity/citizen.ts';
import { base64, decodeLoginRedirect, signedResponse, type TestIdp } from './saml.ts';

/** A free loopback port (the gateway's issuer must be known before the gateway is built). */
export async function sparePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A gateway listening on 127.0.0.1 whose public URL (the provider's issuer) is its real address. */
export async function startSsoGateway(
  overrides: Record<string, unknown> = {},
  services: Parameters<typeof createTestGateway>[2] = {},
) {
  const port = await sparePort();
  const url = `http://127.0.0.1:${port}`;
  const gateway = await createTestGateway(
    {},
    testConfig({
      ...overrides,
      http: { publicUrl: url },
      rateLimit: {
        forms: { windowSeconds: 60, max: 10_000 },
        api: { windowSeconds: 60, max: 10_000 },
        ssoAuth: { windowSeconds: 60, max: 10_000 },
        ssoEndpoints: { windowSeconds: 60, max: 10_000 },
        ssoToken: { windowSeconds: 60, max: 10_000 },
        ...(overrides.rateLimit as object | undefined),
      },
    }),
    services,
  );
  const app = createApp(gateway.deps, [testLoginRoutes(gateway.deps)]);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    url,
    gateway,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}

export type SsoGateway = Awaited<ReturnType<typeof startSsoGateway>>;

const SEED: Actor = { kind: 'system', id: 'sso-test' };

/** An approved body with one published single-sign-on service whose URIs are on `rpOrigin`. */
export async function registerSsoService(
  gateway: TestGateway,
  options: {
    body: string;
    service: string;
    rpOrigin: string;
    auth: { method: 'client_secret_basic' } | { method: 'private_key_jwt'; jwks: { keys: object[] } };
    claims?: string[];
    requiredLevel?: 'L1' | 'L2' | 'L3';
    backchannel?: boolean;
    initiateLogin?: boolean;
  },
) {
  const { writer } = gateway.deps.catalog;
  const domain = `${options.body.replace(/_/g, '-')}.example.it`;
  if (!(await gateway.deps.catalog.repository.getBody(options.body)))
    await writer.putBody(SEED, testBody(options.body, domain), { status: 'approved', editors: [] });
  const purpose = { it: 'Per il servizio', en: 'For the service' };
  await writer.putService(
    SEED,
    options.body,
    options.service,
    {
      ...testService(domain, `Servizio ${options.service}`),
      requiredLevel: options.requiredLevel ?? 'L2',
      integration: 'sso',
      sso: {
        redirectUris: [`${options.rpOrigin}/${options.service}/callback`],
        postLogoutRedirectUris: [`${options.rpOrigin}/${options.service}/bye`],
        ...(options.backchannel
          ? { backchannelLogoutUri: `${options.rpOrigin}/${options.service}/bcl` }
          : {}),
        ...(options.initiateLogin
          ? { initiateLoginUri: `${options.rpOrigin}/${options.service}/login` }
          : {}),
        clientAuthentication: options.auth,
        claims: (options.claims ?? []).map((claim) => ({ claim, purpose })),
      },
    },
    'published',
  );
  return options.auth.method === 'client_secret_basic'
    ? gateway.deps.sso.secrets.rotate(options.service)
    : undefined;
}

/** The relying party's configuration from the gateway's discovery document (openid-client 6). */
export async function discoverClient(
  issuer: string,
  clientId: string,
  auth: { secret: string } | { privateKey: CryptoKey; kid: string },
) {
  const clientAuth =
    'secret' in auth
      ? oidc.ClientSecretBasic(auth.secret)
      : oidc.PrivateKeyJwt({ key: auth.privateKey, kid: auth.kid });
  return oidc.discovery(new URL(issuer), clientId, undefined, clientAuth, {
    execute: [oidc.allowInsecureRequests],
  });
}

/**
 * A browser for one origin: keeps cookies, follows redirects while they stay on the gateway, and stops
 * at the first one that leaves it (the relying party's callback).
 */
export class TestBrowser {
  private readonly jar = new Map<string, string>();
  constructor(readonly origin: string) {}

  private cookieHeader() {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private keep(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(new URL(url, this.origin), {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.cookieHeader() },
    });
    this.keep(response);
    return response;
  }

  async post(url: string, fields: Record<string, string>) {
    return this.request(url, {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** GETs `url` and follows redirects on the gateway; returns the last response and where it left to. */
  async follow(url: string, max = 15): Promise<{ response: Response; url: URL; left?: URL }> {
    let current = new URL(url, this.origin);
    for (let i = 0; i < max; i++) {
      const response = await this.request(current.href);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
      const next = new URL(location, current);
      if (next.origin !== this.origin) return { response, url: current, left: next };
      current = next;
    }
    throw new Error(`more than ${max} redirects from ${url}`);
  }

  /**
   * Answers the SPID AuthnRequest the browser was sent to (a redirect to the test IdP) with a signed
   * response at `level`, and follows the gateway's redirects after the ACS.
   */
  async answerSpid(gateway: TestGateway, idp: TestIdp, idpRedirect: URL, level: Level) {
    const request = decodeLoginRedirect(idpRedirect.href);
    const acs = await this.post('/spid/acs', {
      SAMLResponse: base64(signedResponse(gateway, idp, request.id, { level })),
      RelayState: request.relayState ?? '',
    });
    if (acs.status !== 303) throw new Error(`SPID login refused: ${acs.status}`);
    return this.follow(acs.headers.get('location')!);
  }

  /** A real SPID login with the test IdP at `level`. */
  async spidLogin(gateway: TestGateway, idp: TestIdp, level: Level) {
    const start = await this.follow(`/spid/login?idp=${encodeURIComponent(idp.entityId)}&level=${level}`);
    if (!start.left) throw new Error('the SPID login did not go to the IdP');
    return this.answerSpid(gateway, idp, start.left, level);
  }

  async login(fiscalCode: string, level: 1 | 2 | 3 = 2) {
    const response = await this.request(`/__test/login?fiscalCode=${fiscalCode}&level=${level}`);
    if (response.status !== 200) throw new Error(`test login failed: ${response.status}`);
  }
}

/** The consent page's form: its action and CSRF token. */
export function consentForm(html: string) {
  const $ = cheerio.load(html);
  const form = $('form[action*="/consent"]').first();
  return {
    action: String(form.attr('action')),
    csrf: String(form.find('input[name="_csrf"]').val()),
    claims: $('[data-claim]')
      .map((_, el) => $(el).attr('data-claim'))
      .get(),
  };
}

/** Starts an authorization request as the relying party would: PKCE S256, state, nonce. */
export async function authorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/**
 * A citizen's browser enters a service: the authorization request, the consent page when there is one
 * (allowed), back to the relying party, and the code exchanged. Says whether consent was asked and
 * whether the browser was sent to an identity provider on the way.
 */
export async function enterService(
  browser: TestBrowser,
  config: oidc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
) {
  const start = await authorizationRequest(config, redirectUri, extra);
  let step = await browser.follow(start.url.href);
  let consentAsked = false;
  if (!step.left && step.response.status === 200 && step.url.pathname.startsWith('/sso/interaction/')) {
    consentAsked = true;
    const form = consentForm(await step.response.text());
    const decided = await browser.post(form.action, { _csrf: form.csrf, decision: 'allow' });
    step = await browser.follow(decided.headers.get('location')!);
  }
  const callback = step.left;
  if (!callback || callback.origin !== new URL(redirectUri).origin)
    throw new Error(
      `did not come back to the service: ${step.response.status} ${callback?.href ?? step.url.href}`,
    );
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: start.verifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
  return { tokens, claims: tokens.claims()!, consentAsked };
}
