import type { SsoClient } from '../catalog/model.ts';

/**
 * OpenID Connect third-party-initiated login (Core 1.0, section 4): the service's login start with the
 * issuer and the page to land on, so the citizen arrives already identified. Undefined when the service
 * registered no initiate_login_uri.
 */
export function initiateLoginUrl(sso: SsoClient | undefined, issuer: string, target: URL): URL | undefined {
  if (!sso?.initiateLoginUri) return undefined;
  const url = new URL(sso.initiateLoginUri);
  url.searchParams.set('iss', issuer);
  url.searchParams.set('target_link_uri', target.href);
  return url;
}
