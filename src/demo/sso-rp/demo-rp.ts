import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK } from 'jose';
import * as oidc from 'openid-client';
import type { RedisConnection } from '../../platform/redis.ts';

/** A demo body system: a relying party of the gateway's provider, registered in the demo catalog seed. */
export interface DemoRelyingParty {
  /** The service id in the catalog, which is the client id. */
  serviceId: string;
  /** The body's name, shown in the system's own header. */
  bodyName: string;
  auth: 'private_key_jwt' | 'client_secret_basic';
}

/** config/catalog/services-demo-rp.yaml registers these two services with their URIs under /demo/rp. */
export const DEMO_RELYING_PARTIES: readonly DemoRelyingParty[] = [
  { serviceId: 'prato-certificati-anagrafici', bodyName: 'Comune di Prato', auth: 'private_key_jwt' },
  { serviceId: 'usl-prenotazioni', bodyName: 'Azienda USL Toscana Centro', auth: 'client_secret_basic' },
];

export const DEMO_RP_PATH = '/demo/rp';
const TTL_SECONDS = 3600;
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What the body's system keeps about one browser: the login under way, then the claims it received. */
export interface RpBrowserState {
  pending?: { verifier: string; state: string; nonce: string };
  login?: { claims: Record<string, unknown>; idToken: string; sid?: string; at: number };
}

/**
 * One demo relying party, a real OpenID Connect client of the gateway (openid-client 6): discovery,
 * authorization code with PKCE, the client authentication its service registered, back-channel logout.
 * Its state lives in Redis under `<prefix>demo:rp:<serviceId>:`, keyed by its own cookie.
 */
export function createDemoRelyingParty(
  rp: DemoRelyingParty,
  deps: { redis: RedisConnection; publicUrl: string; clientSecret: () => Promise<string> },
) {
  const base = new URL(`${DEMO_RP_PATH}/${rp.serviceId}/`, deps.publicUrl);
  const issuer = new URL(deps.publicUrl);
  const { client } = deps.redis;
  const keyPrefix = `${deps.redis.prefix}demo:rp:${rp.serviceId}:`;
  const stateKey = (browser: string) => `${keyPrefix}browser:${browser}`;
  const sidKey = (sid: string) => `${keyPrefix}sid:${sid}`;

  // private_key_jwt: the body system's key pair, made once and shared through Redis (SET NX) so every
  // gateway instance serving the demo signs with the key its jwks_uri publishes.
  const keys = rp.auth === 'private_key_jwt' ? sharedKeyPair() : undefined;
  // Awaited on first use; a Redis failing meanwhile must not end the process as an unhandled rejection.
  keys?.catch(() => undefined);
  async function sharedKeyPair() {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const candidate = JSON.stringify({ ...(await exportJWK(privateKey)), kid: `${rp.serviceId}-demo` });
    await client.set(`${keyPrefix}signing-key`, candidate, { condition: 'NX' });
    const jwk = JSON.parse((await client.get(`${keyPrefix}signing-key`)) ?? candidate) as JWK;
    const { kty, crv, x, y, kid } = jwk;
    return {
      privateKey: (await importJWK(jwk, 'ES256')) as CryptoKey,
      publicJwk: { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' },
    };
  }

  let configuration: Promise<oidc.Configuration> | undefined;
  /** Discovered on first use: the gateway is not listening yet while it is being built. */
  function config() {
    configuration ??= (async () => {
      const pair = await keys;
      const auth = pair
        ? oidc.PrivateKeyJwt({ key: pair.privateKey, kid: String(pair.publicJwk.kid) })
        : oidc.ClientSecretBasic(await deps.clientSecret());
      return oidc.discovery(issuer, rp.serviceId, undefined, auth, {
        execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      });
    })().catch((error: unknown) => {
      configuration = undefined;
      throw error;
    });
    return configuration;
  }

  async function load(browser: string): Promise<RpBrowserState> {
    const raw = await client.get(stateKey(browser));
    return raw ? (JSON.parse(raw) as RpBrowserState) : {};
  }
  const save = (browser: string, state: RpBrowserState) =>
    client.set(stateKey(browser), JSON.stringify(state), { expiration: { type: 'EX', value: TTL_SECONDS } });

  return {
    rp,
    base,
    jwks: async (): Promise<{ keys: JWK[] }> => {
      const pair = await keys;
      return { keys: pair ? [pair.publicJwk] : [] };
    },
    newBrowserId: () => randomBytes(24).toString('base64url'),
    load,

    /** The authorization request (PKCE S256, state, nonce); `iss` from a third-party login must be ours. */
    async startLogin(browser: string, iss?: string): Promise<URL> {
      if (iss !== undefined && iss !== deps.publicUrl) throw new Error('login initiated by another issuer');
      const pending = {
        verifier: oidc.randomPKCECodeVerifier(),
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
      };
      await save(browser, { ...(await load(browser)), pending });
      return oidc.buildAuthorizationUrl(await config(), {
        redirect_uri: new URL('callback', base).href,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
    },

    /** The code exchanged at the token endpoint; the claims kept for the page. */
    async finishLogin(browser: string, callbackUrl: URL): Promise<void> {
      const state = await load(browser);
      if (!state.pending) throw new Error('no login under way');
      const tokens = await oidc.authorizationCodeGrant(await config(), callbackUrl, {
        pkceCodeVerifier: state.pending.verifier,
        expectedState: state.pending.state,
        expectedNonce: state.pending.nonce,
      });
      const claims = { ...tokens.claims() };
      const idToken = tokens.id_token;
      if (!idToken) throw new Error('no id_token');
      const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
      await save(browser, { login: { claims, idToken, sid, at: Date.now() } });
      if (sid) await client.set(sidKey(sid), browser, { expiration: { type: 'EX', value: TTL_SECONDS } });
    },

    /** RP-initiated logout at the gateway, back to <base>logged-out. */
    async logoutUrl(browser: string): Promise<URL> {
      const state = await load(browser);
      await client.del(stateKey(browser));
      return oidc.buildEndSessionUrl(await config(), {
        post_logout_redirect_uri: new URL('logged-out', base).href,
        ...(state.login ? { id_token_hint: state.login.idToken } : {}),
      });
    },

    /**
     * OpenID Connect Back-Channel Logout 1.0, section 2.6: the logout token verified against the
     * gateway's keys, for this client, with the event and no nonce; the browser's login with that sid ends.
     */
    async backchannelLogout(logoutToken: string): Promise<void> {
      const metadata = (await config()).serverMetadata();
      const jwks = createRemoteJWKSet(new URL(String(metadata.jwks_uri)));
      const { payload } = await jwtVerify(logoutToken, jwks, {
        issuer: metadata.issuer,
        audience: rp.serviceId,
        maxTokenAge: '5m',
      });
      const events = payload.events as Record<string, unknown> | undefined;
      if (!events || typeof events[BACKCHANNEL_EVENT] !== 'object' || 'nonce' in payload)
        throw new Error('not a logout token');
      if (typeof payload.sid !== 'string') throw new Error('the logout token has no sid');
      const browser = await client.getDel(sidKey(payload.sid));
      if (browser) await client.del(stateKey(browser));
    },
  };
}

export type DemoRelyingPartyApp = ReturnType<typeof createDemoRelyingParty>;
