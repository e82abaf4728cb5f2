import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import Provider, { type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Level } from '../../identity/citizen.ts';
import { BadRequestError } from '../../platform/errors.ts';
import { CIE_FISCAL_NUMBER, type DemoOidcIdentity } from './identities.ts';

/** SPID levels as acr values (CIE ID uses the SPID ones: https://www.spid.gov.it/SpidL1…3). */
export const DEMO_ACR: Record<Level, string> = {
  1: 'https://www.spid.gov.it/SpidL1',
  2: 'https://www.spid.gov.it/SpidL2',
  3: 'https://www.spid.gov.it/SpidL3',
};

const ROUTES = {
  authorization: '/auth',
  token: '/token',
  jwks: '/jwks',
  userinfo: '/me',
  end_session: '/session/end',
} as const;

export interface DemoOpClient {
  client_id: string;
  /** A client with a secret authenticates with client_secret_basic… */
  client_secret?: string;
  /**
   * …one with public keys (JWKS) with private_key_jwt, and must sign its authorization requests
   * (request objects), as CIE id requires of relying parties.
   */
  jwks?: { keys: Array<Record<string, unknown>> };
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
}

/** oidc-provider's client metadata for a demo client: secret, or keys with signed requests. */
function clientMetadata(client: DemoOpClient): ClientMetadata {
  const common: ClientMetadata = {
    ...client,
    ...(client.jwks ? { jwks: client.jwks as ClientMetadata['jwks'] } : {}),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
  };
  if (!client.jwks) return { ...common, token_endpoint_auth_method: 'client_secret_basic' };
  return {
    ...common,
    token_endpoint_auth_method: 'private_key_jwt',
    require_signed_request_object: true,
  };
}

export interface DemoOpOptions {
  /** The issuer, including the path the provider is mounted at (oidc-provider "mounting"). */
  issuer: string;
  clients: DemoOpClient[];
  identities: readonly DemoOidcIdentity[];
  /** Path of the login page, given the interaction id. */
  interactionPath: (uid: string) => string;
  /** Lifetime of authorization codes (short: a code is meant to be redeemed at once). */
  codeTtlSeconds?: number;
  /** ES256 private JWK to sign with; generated when absent (tests pass their own to tamper with tokens). */
  signingKey?: Record<string, unknown>;
  /** Pages the provider itself renders (logout confirmation, errors); plain defaults when absent. */
  pages?: Pick<
    NonNullable<Configuration['features']>['rpInitiatedLogout'] & object,
    'logoutSource' | 'postLogoutSuccessSource'
  > & {
    renderError?: Configuration['renderError'];
  };
}

/** A fresh ES256 key pair as JWKs: the private one for the provider, the public one for whoever verifies. */
export function generateSigningKey(): {
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
} {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomBytes(8).toString('hex');
  return {
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
  };
}

/**
 * A real OpenID Provider (oidc-provider) with test identities at every level, for demo mode and tests.
 * Demo only: it keeps its state in oidc-provider's in-memory adapter (one instance, lost at restart)
 * and signs with a key generated at start.
 */
export function createDemoOp(options: DemoOpOptions) {
  const key = options.signingKey ?? generateSigningKey().privateJwk;
  const publicJwk: Record<string, unknown> = { ...(key as Record<string, unknown>) };
  delete publicJwk.d;
  const people = new Map(options.identities.map((identity) => [identity.sub, identity]));
  const claimNames = [...new Set(options.identities.flatMap((identity) => Object.keys(identity.claims)))];

  const provider = new Provider(options.issuer, {
    clients: options.clients.map(clientMetadata),
    jwks: { keys: [key as never] },
    routes: ROUTES,
    acrValues: Object.values(DEMO_ACR),
    scopes: ['openid', 'profile', 'email'],
    claims: {
      openid: ['sub'],
      profile: ['given_name', 'family_name', 'birthdate'],
      email: ['email'],
      // Claims outside any scope, available through the claims request parameter (as CIE's fiscal number).
      ...Object.fromEntries(claimNames.filter((name) => name.includes('://')).map((name) => [name, null])),
    },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      requestObjects: { enabled: true },
      rpInitiatedLogout: { enabled: true, ...(options.pages ?? {}) },
    },
    ...(options.pages?.renderError ? { renderError: options.pages.renderError } : {}),
    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction) => options.interactionPath(interaction.uid),
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      AuthorizationCode: options.codeTtlSeconds ?? 60,
      AccessToken: 300,
      IdToken: 300,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    async findAccount(_ctx, sub) {
      const person = people.get(sub);
      if (!person) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...person.claims }) };
    },
  });

  /** The level the login asked for: the highest acr value requested that the provider knows, else 1. */
  function requestedLevel(acrValues: unknown): Level {
    const asked = typeof acrValues === 'string' ? acrValues.split(' ') : [];
    const levels = ([1, 2, 3] as const).filter((level) => asked.includes(DEMO_ACR[level]));
    return levels[0] ?? 1;
  }

  async function details(req: Request, res: Response) {
    try {
      return await provider.interactionDetails(req, res);
    } catch {
      throw new BadRequestError('demo_oidc_interaction');
    }
  }

  return {
    provider,
    issuer: options.issuer,
    publicJwk,
    identities: options.identities,
    /** Known server metadata (the routes above), so the gateway needs no discovery request for it. */
    metadata: {
      issuer: options.issuer,
      authorization_endpoint: `${options.issuer}${ROUTES.authorization}`,
      token_endpoint: `${options.issuer}${ROUTES.token}`,
      jwks_uri: `${options.issuer}${ROUTES.jwks}`,
      userinfo_endpoint: `${options.issuer}${ROUTES.userinfo}`,
      end_session_endpoint: `${options.issuer}${ROUTES.end_session}`,
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    },

    /** The interaction waiting on the login page: who asks, at what level, for which claims. */
    async pending(req: Request, res: Response, uid: string) {
      const interaction = await details(req, res);
      if (interaction.uid !== uid) throw new BadRequestError('demo_oidc_interaction');
      const client = await provider.Client.find(String(interaction.params.client_id));
      return {
        uid,
        client: client?.clientName ?? String(interaction.params.client_id),
        level: requestedLevel(interaction.params.acr_values),
      };
    },

    /** Logs `sub` in at the requested level and grants what the client asked for; returns where to go. */
    async login(req: Request, res: Response, uid: string, sub: unknown): Promise<string> {
      const interaction = await details(req, res);
      const person = typeof sub === 'string' ? people.get(sub) : undefined;
      const level = requestedLevel(interaction.params.acr_values);
      if (interaction.uid !== uid || !person || person.person.maxLevel < level) {
        throw new BadRequestError('demo_oidc_login');
      }
      const clientId = String(interaction.params.client_id);
      const grant = new provider.Grant({ accountId: sub as string, clientId });
      grant.addOIDCScope(String(interaction.params.scope ?? 'openid'));
      const requested = parseClaims(interaction.params.claims);
      if (requested.length > 0) grant.addOIDCClaims(requested);
      const grantId = await grant.save();
      return provider.interactionResult(
        req,
        res,
        { login: { accountId: sub as string, acr: DEMO_ACR[level] }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    },

    /** The person cancelled: the client gets error=access_denied. */
    async cancel(req: Request, res: Response, uid: string): Promise<string> {
      const interaction = await details(req, res);
      if (interaction.uid !== uid) throw new BadRequestError('demo_oidc_interaction');
      return provider.interactionResult(
        req,
        res,
        { error: 'access_denied', error_description: 'cancelled by the user' },
        { mergeWithLastSubmission: false },
      );
    },
  };
}

/** Claim names of a `claims` request parameter (both its id_token and userinfo members). */
function parseClaims(raw: unknown): string[] {
  if (typeof raw !== 'string') return [];
  try {
    const parsed = JSON.parse(raw) as Record<string, Record<string, unknown> | undefined>;
    return [...new Set([...Object.keys(parsed.id_token ?? {}), ...Object.keys(parsed.userinfo ?? {})])];
  } catch {
    return [];
  }
}

export { CIE_FISCAL_NUMBER };
export type DemoOp = ReturnType<typeof createDemoOp>;
