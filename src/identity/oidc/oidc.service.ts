import * as client from 'openid-client';
import { LEVELS, type Level } from '../citizen.ts';
import { identityFromClaims, type OidcLogin } from './claims.ts';
import { browserBinding, type FlowStore } from './flow-store.ts';
import { classifyLoginFailure, OidcError } from './oidc-errors.ts';
import { LOGGED_OUT_PATH } from '../logged-out.ts';
import { levelOfAcr, type ProviderDescriptor } from './provider-descriptor.ts';
import type { ProviderRegistry } from './provider-registry.ts';

const STATE = /^[A-Za-z0-9_-]{20,200}$/;

/** The lowest level at least `wanted` that the provider maps to an acr value. */
function levelFor(d: ProviderDescriptor, wanted: Level): Level {
  const level = LEVELS.find((l) => l >= wanted && d.acr[l] !== undefined);
  if (!level) throw new OidcError('oidc_level');
  return level;
}

/** The `claims` request parameter (OIDC Core 5.5) asking for every mapped claim as essential. */
function claimsParameter(d: ProviderDescriptor): string {
  const wanted = Object.fromEntries(
    Object.values(d.claims)
      .filter((claim): claim is string => Boolean(claim))
      .map((claim) => [claim, { essential: true }]),
  );
  return JSON.stringify({ id_token: wanted, ...(d.userinfo ? { userinfo: wanted } : {}) });
}

/**
 * The OpenID Connect relying party: authorization code flow with PKCE (S256), state and nonce
 * (OIDC Core 3.1; RFC 7636; RFC 9700 best current practice). openid-client does the protocol checks
 * (state, issuer, audience, signature, nonce, timestamps with the bounded clock tolerance); this service
 * keeps the flow in Redis, binds it to the browser, checks the level and maps the claims.
 */
export function createOidcRelyingParty(deps: {
  registry: ProviderRegistry;
  flows: FlowStore;
  publicUrl: string;
  now?: () => number;
}) {
  const { registry, flows } = deps;
  const now = deps.now ?? Date.now;
  const base = deps.publicUrl.replace(/\/+$/, '');
  const callbackUrl = (provider: string) => `${base}/oidc/callback/${provider}`;
  const known = (provider: string) => {
    const d = registry.get(provider);
    if (!d) throw new OidcError('oidc_unknown_provider');
    return d;
  };

  return {
    callbackUrl,
    postLogoutUrl: `${base}${LOGGED_OUT_PATH}`,

    /** Starts a login: the provider's authorization URL to redirect the browser to. */
    async startLogin(input: {
      provider: string;
      level: Level;
      returnTo: string;
      sessionId: string;
      language: string;
    }): Promise<string> {
      const d = known(input.provider);
      const level = levelFor(d, input.level);
      const configuration = await registry.configuration(d.id);
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      await flows.save(state, {
        provider: d.id,
        codeVerifier,
        nonce,
        level,
        returnTo: input.returnTo,
        browser: browserBinding(input.sessionId),
        startedAt: now(),
      });
      const parameters: Record<string, string> = {
        redirect_uri: callbackUrl(d.id),
        response_type: 'code',
        scope: d.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        acr_values: d.acr[level] ?? '',
        prompt: d.prompt,
        ui_locales: input.language,
      };
      if (d.claimsParameter) parameters.claims = claimsParameter(d);
      if (!d.requestObject) return client.buildAuthorizationUrl(configuration, parameters).href;
      const signingKey = registry.signingKey(d.id);
      if (!signingKey) throw new OidcError('oidc_unknown_provider');
      const url = await client.buildAuthorizationUrlWithJAR(configuration, parameters, signingKey);
      // The request object wins, but CIE id and SPID want scope (and PKCE, response_type) in the query
      // too, with the same values (CIE OIDC docs, "Authorization endpoint").
      for (const name of ['scope', 'response_type', 'code_challenge', 'code_challenge_method']) {
        url.searchParams.set(name, parameters[name] ?? '');
      }
      return url.href;
    },

    /**
     * Finishes a login from the callback's query string. The flow record is consumed first (GETDEL),
     * so a replayed or pasted callback fails whatever happens next.
     */
    async finishLogin(input: {
      provider: string;
      query: string;
      sessionId: string;
    }): Promise<{ login: OidcLogin; returnTo: string }> {
      const d = known(input.provider);
      const currentUrl = new URL(`${callbackUrl(d.id)}?${input.query}`);
      const state = currentUrl.searchParams.get('state') ?? '';
      if (!STATE.test(state)) throw new OidcError('oidc_state_unknown');
      const flow = await flows.take(state);
      if (!flow || flow.provider !== d.id) throw new OidcError('oidc_state_unknown');
      if (flow.browser !== browserBinding(input.sessionId)) throw new OidcError('oidc_state_browser');

      let claims: Record<string, unknown>;
      try {
        const configuration = await registry.configuration(d.id);
        const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims();
        if (!idClaims) throw new OidcError('oidc_response_invalid');
        claims = { ...idClaims };
        if (d.userinfo && configuration.serverMetadata().userinfo_endpoint) {
          const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
          // The id_token's signed claims win over the UserInfo response for anything both carry.
          claims = { ...userinfo, ...idClaims };
        }
      } catch (error) {
        throw classifyLoginFailure(error);
      }
      const level = levelOfAcr(d, claims.acr);
      if (level === undefined || level < flow.level) throw new OidcError('oidc_level');
      return { login: identityFromClaims(d, claims, level, now()), returnTo: flow.returnTo };
    },

    /** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the provider's end-session URL, if any. */
    async logoutUrl(provider: string): Promise<string | undefined> {
      if (!registry.get(provider) || !registry.loaded(provider)) return undefined;
      const configuration = await registry.configuration(provider);
      if (!configuration.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(configuration, {
        post_logout_redirect_uri: `${base}${LOGGED_OUT_PATH}`,
      }).href;
    },
  };
}

export type OidcRelyingParty = ReturnType<typeof createOidcRelyingParty>;
