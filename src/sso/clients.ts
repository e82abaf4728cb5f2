import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { CatalogRepository } from '../catalog/catalog.repository.ts';
import { undeclaredSsoHosts, type LinkPolicyOptions } from '../catalog/link-policy.ts';
import { levelNumber, type Body, type Service, type SsoClient } from '../catalog/model.ts';
import type { ClientSecrets } from './client-secrets.repository.ts';

/** Metadata of ours on every client (oidc-provider `extraClientMetadata`). */
export const CLIENT_EXTRA = {
  body: 'varco_body',
  claims: 'varco_claims',
  level: 'varco_level',
} as const;

/** A catalog service that is an SSO client: published, integration "sso" with its block, body approved. */
export function isActiveClient(
  service: Service | undefined,
  body: Body | undefined,
): service is Service & { sso: SsoClient } {
  return Boolean(
    service?.sso &&
    service.integration === 'sso' &&
    service.status === 'published' &&
    body?.status === 'approved',
  );
}

/**
 * The oidc-provider client metadata of a service (the client id is the service id). The service's
 * initiate_login_uri is the gateway's business (/go/:serviceId), not the provider's: oidc-provider would
 * refuse the http one a demo body system has.
 */
export function clientMetadata(
  service: Service & { sso: SsoClient },
  secret: string | undefined,
): AdapterPayload {
  const { sso } = service;
  const auth = sso.clientAuthentication;
  return {
    client_id: service.id,
    client_name: service.title.it,
    redirect_uris: sso.redirectUris,
    post_logout_redirect_uris: sso.postLogoutRedirectUris,
    ...(sso.backchannelLogoutUri
      ? { backchannel_logout_uri: sso.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: auth.method,
    ...(auth.jwksUri ? { jwks_uri: auth.jwksUri } : {}),
    ...(auth.jwks ? { jwks: auth.jwks as AdapterPayload['jwks'] } : {}),
    ...(auth.method === 'client_secret_basic' ? { client_secret: secret } : {}),
    subject_type: 'pairwise',
    [CLIENT_EXTRA.body]: service.bodyId,
    [CLIENT_EXTRA.claims]: sso.claims.map((c) => c.claim),
    [CLIENT_EXTRA.level]: levelNumber(service.requiredLevel),
  };
}

/**
 * oidc-provider's Client model, read from the catalog on every lookup: a change made through the
 * registration API or the editor, or a body's suspension, takes effect at once on every instance. A
 * client_secret_basic client without a generated secret does not exist yet. Nor does a client with a URI
 * on a host the body no longer declares: oidc-provider looks the client up at every authorization, token
 * and userinfo request (an unknown client gets invalid_client, its tokens invalid_token) and the gateway
 * does before each back-channel logout, so withdrawing a domain cuts the client off everywhere at once.
 */
export function createCatalogClientAdapter(
  repository: CatalogRepository,
  secrets: ClientSecrets,
  policy: LinkPolicyOptions,
): Adapter {
  const readOnly = async () => {
    throw new Error('clients are changed through the registry, not the provider');
  };
  return {
    async find(id) {
      const [service, stored] = await Promise.all([repository.getService(id), secrets.get(id)]);
      const body = service ? await repository.getBody(service.bodyId) : undefined;
      if (!body || !isActiveClient(service, body)) return undefined;
      if (undeclaredSsoHosts(service.sso, body, policy).length > 0) return undefined;
      const secret = service.sso.clientAuthentication.method === 'client_secret_basic' ? stored : undefined;
      if (service.sso.clientAuthentication.method === 'client_secret_basic' && !secret) return undefined;
      return clientMetadata(service, secret);
    },
    upsert: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: readOnly,
  };
}
