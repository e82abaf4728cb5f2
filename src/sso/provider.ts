import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import Provider, {
  interactionPolicy,
  type Adapter,
  type ClaimsParameterMember,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Level } from '../identity/citizen.ts';
import {
  ACR_VALUES,
  SCOPE_CLAIMS,
  citizenClaims,
  knownScopes,
  levelOfAcr,
  releasedClaimNames,
} from './claims.ts';
import { CLIENT_EXTRA } from './clients.ts';
import { allowFormTarget } from './form-action.ts';
import type { Accounts } from './accounts.repository.ts';
import type { AccessHistory } from './access-history.repository.ts';
import type { Consents } from './consents.repository.ts';
import type { PrivateJwk } from './signing-keys.ts';
import type { OutboundFetch } from '../platform/outbound-http.ts';
import type { RequestInit as UndiciRequestInit } from 'undici';

/** Where the provider's endpoints live, below the public URL (discovery stays at the root). */
export const OP_MOUNT = '/op';
export const interactionPath = (uid: string) => `/sso/interaction/${uid}`;

export interface ProviderOptions {
  issuer: string;
  signingKeys: PrivateJwk[];
  cookieKeys: readonly string[];
  pairwiseSalt: string;
  sessionTtlSeconds: number;
  adapter: (name: string) => Adapter;
  accounts: Accounts;
  consents: Consents;
  history: AccessHistory;
  /** Renders the provider's own pages (errors, logout confirmation) in the gateway's layout. */
  renderPage: (ctx: KoaContextWithOIDC, view: string, locals: Record<string, unknown>) => Promise<void>;
  onError: (error: unknown) => void;
  /** The catalog's title of a client's service, by language: the logout question names it. */
  serviceTitle: (clientId: string) => Promise<Readonly<Record<string, string>> | undefined>;
  /**
   * The gateway's guarded fetch (src/platform/outbound-http.ts): no loopback (but in demo mode), private
   * or link-local address, checked on the address actually connected to.
   */
  fetch: OutboundFetch;
}

/**
 * oidc-provider's outgoing requests (back-channel logout, clients' jwks_uri) through the gateway's guarded
 * fetch, which takes the place of the dispatcher oidc-provider sets. oidc-provider passes URLs as strings.
 */
export function outgoingFetch(fetch: OutboundFetch): NonNullable<Configuration['fetch']> {
  return async (input, init = {}) => {
    const url = input instanceof globalThis.Request ? input.url : input;
    const options = { ...init } as RequestInit & { dispatcher?: unknown };
    delete options.dispatcher;
    return (await fetch(url, options as UndiciRequestInit)) as unknown as Response;
  };
}

type ClientLike = { clientId: string; [key: string]: unknown };
export const declaredClaims = (client: ClientLike) =>
  (client[CLIENT_EXTRA.claims] as string[] | undefined) ?? [];
export const bodyOf = (client: ClientLike) => String(client[CLIENT_EXTRA.body]);

/** The gateway session's citizen, when the request went through the session middleware. */
export const gatewayCitizen = (ctx: KoaContextWithOIDC) => (ctx.req as unknown as Request).session?.citizen;

/**
 * The level a request needs: the service's registered level, and the lowest of the acr values the
 * client asked for (acr_values, or the acr claim's value/values); SPID levels are "at least" levels.
 */
export function requiredLevel(
  client: ClientLike,
  acrValues: string | undefined,
  acrClaim: ClaimsParameterMember | null | undefined,
): Level {
  const levels: number[] = [Number(client[CLIENT_EXTRA.level] ?? 0)];
  const asked = [
    ...(acrValues?.split(' ') ?? []),
    ...(acrClaim?.value ? [acrClaim.value] : []),
    ...(acrClaim?.values ?? []),
  ]
    .map((acr) => levelOfAcr(String(acr)))
    .filter((level): level is Level => level !== undefined);
  if (asked.length > 0) levels.push(Math.min(...asked));
  return Math.max(1, ...levels) as Level;
}

/**
 * The login prompt is needed unless the provider's session is the gateway session's citizen, from the
 * same login, at a level high enough: the gateway session is the one source of truth, the provider's
 * session only remembers it (logging out of the gateway logs out of the provider).
 */
function gatewaySessionCheck() {
  const { Check } = interactionPolicy;
  return new Check('gateway_session', 'the gateway session does not cover this request', (ctx) => {
    const citizen = gatewayCitizen(ctx);
    const { session, client, params, claims } = ctx.oidc;
    if (!citizen || !session || !client) return Check.REQUEST_PROMPT;
    if (session.accountId !== citizen.fiscalCode) return Check.REQUEST_PROMPT;
    if (session.authTime() !== Math.floor(citizen.loginAt / 1000)) return Check.REQUEST_PROMPT;
    const needed = requiredLevel(
      client as unknown as ClientLike,
      params?.acr_values as string | undefined,
      claims.id_token?.acr,
    );
    return citizen.level < needed ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
  });
}

function policy() {
  const prompts = interactionPolicy.base();
  const login = prompts.get('login');
  if (!login) throw new Error('oidc-provider has no login prompt');
  // Replaced by the level check: a higher SPID level satisfies a lower one (levels are "at least").
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  login.checks.add(gatewaySessionCheck());
  return prompts;
}

/** RFC-style pairwise identifier: one sector per body, so a body's services share the citizen's `sub`. */
export function pairwiseSubject(salt: string, bodyId: string, accountId: string): string {
  return createHmac('sha256', salt).update(`${bodyId}\u0000${accountId}`).digest('base64url');
}

export function createProvider(options: ProviderOptions): Provider {
  const { accounts, consents, history } = options;
  const configuration: Configuration = {
    adapter: options.adapter,
    fetch: outgoingFetch(options.fetch),
    clients: [],
    jwks: { keys: options.signingKeys },
    cookies: {
      keys: [...options.cookieKeys],
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax', path: '/' },
      names: { session: 'varco.op', interaction: 'varco.op.interaction', resume: 'varco.op.resume' },
    },
    scopes: Object.keys(SCOPE_CLAIMS),
    claims: SCOPE_CLAIMS as Record<string, string[]>,
    // Claims asked for with scopes go into the id_token too: bodies' systems read one token.
    conformIdTokenClaims: false,
    acrValues: ACR_VALUES,
    subjectTypes: ['pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) =>
      pairwiseSubject(options.pairwiseSalt, bodyOf(client as unknown as ClientLike), accountId),
    pkce: { required: () => true },
    // redirect_uri is REQUIRED in every authorization request (OpenID Connect Core 1.0, 3.1.2.1), even
    // for a client with a single registered one: oidc-provider would otherwise fill it in.
    allowOmittingSingleRegisteredRedirectUri: false,
    clientAuthMethods: ['private_key_jwt', 'client_secret_basic'],
    responseTypes: ['code'],
    extraClientMetadata: { properties: Object.values(CLIENT_EXTRA) },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          // The provider has checked it against the client's registered post-logout URIs.
          const target = ctx.oidc.params?.post_logout_redirect_uri;
          if (typeof target === 'string') allowFormTarget(ctx.res, target);
          const clientId = ctx.oidc.client?.clientId;
          const serviceTitle = clientId ? await options.serviceTitle(clientId) : undefined;
          await options.renderPage(ctx, 'sso/logout', { form, serviceTitle });
        },
        postLogoutSuccessSource: async (ctx) => options.renderPage(ctx, 'sso/logged-out', {}),
      },
      userinfo: { enabled: true },
    },
    issueRefreshToken: async () => false,
    clientBasedCORS: () => false,
    routes: {
      authorization: '/auth',
      token: '/token',
      userinfo: '/me',
      jwks: '/jwks',
      end_session: '/session/end',
      revocation: '/token/revocation',
      introspection: '/token/introspection',
      pushed_authorization_request: '/request',
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 900,
      Session: options.sessionTtlSeconds,
      Grant: options.sessionTtlSeconds,
    },
    interactions: {
      url: async (_ctx, interaction) => interactionPath(interaction.uid),
      policy: policy(),
    },
    /**
     * A remembered consent (per citizen and service, for the claims the service declares now) stands
     * for the citizen's "yes": the grant is made without asking. No consent, no grant: the consent page.
     */
    loadExistingGrant: async (ctx) => {
      const { session, client } = ctx.oidc;
      if (!session?.accountId || !client) return undefined;
      const consent = await consents.get(session.accountId, client.clientId);
      const declared = declaredClaims(client as unknown as ClientLike);
      if (!consent || !declared.every((claim) => consent.claims.includes(claim))) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      const grant =
        existing?.accountId === session.accountId
          ? existing
          : new ctx.oidc.provider.Grant({ accountId: session.accountId, clientId: client.clientId });
      const before = JSON.stringify(grant.openid);
      grant.addOIDCScope(knownScopes(ctx.oidc.requestParamScopes).join(' '));
      grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      // A grant that already covers the request is used as it is (no write on every authorization).
      if (grant === existing && JSON.stringify(grant.openid) === before) return grant;
      const saved = await grant.save();
      await consents.addGrant(session.accountId, client.clientId, saved);
      return grant;
    },
    findAccount: async (ctx, sub) => {
      const account = await accounts.find(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        /**
         * Only the claims the service declared, whatever the scopes or the claims parameter ask; each
         * release is written to the citizen's access history (names of the claims, never values).
         */
        async claims(use, scope, requested, rejected) {
          const client = ctx.oidc.client as unknown as ClientLike | undefined;
          if (!client) return { sub };
          const declared = declaredClaims(client);
          const values = citizenClaims(account);
          const released = Object.fromEntries(
            declared
              .map((claim) => [claim, values[claim as keyof typeof values]])
              .filter(([, v]) => v !== undefined),
          ) as Record<string, string>;
          const names = releasedClaimNames(
            declared.filter((claim) => claim in released),
            scope.split(' '),
            Object.keys(requested ?? {}),
            rejected,
          );
          await history
            .record(sub, {
              at: Date.now(),
              bodyId: bodyOf(client),
              serviceId: client.clientId,
              via: use === 'userinfo' ? 'userinfo' : 'id_token',
              claims: names,
            })
            .catch(options.onError);
          return { sub, ...released };
        },
      };
    },
    renderError: async (ctx, out, error) => {
      options.onError(error);
      await options.renderPage(ctx, 'sso/error', { status: ctx.status, code: out.error });
    },
  };
  const provider = new Provider(options.issuer, configuration);
  provider.use(formPostTarget);
  return provider;
}

/**
 * The form_post response mode's page posts the answer to the client's redirect_uri: once the provider
 * has written it (and only for a redirect_uri registered for the client), the page's CSP lets it.
 */
async function formPostTarget(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
  await next();
  const { params, client } = ctx.oidc ?? {};
  const target = params?.redirect_uri;
  if (params?.response_mode !== 'form_post' || ctx.type !== 'text/html' || typeof target !== 'string') return;
  if (client?.redirectUriAllowed(target)) allowFormTarget(ctx.res, target);
}
