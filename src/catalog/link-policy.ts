import { AppError } from '../platform/errors.ts';
import type { Body, DeepLink, SsoClient } from './model.ts';

export class LinkRejectedError extends AppError {
  constructor(message: string) {
    super(422, 'link_rejected', message);
  }
}

/** The fixed part of a deep link: its URL, or the template's scheme and host. */
export function linkOrigin(link: DeepLink): URL {
  const raw = 'url' in link ? link.url : link.template.replace(/\{[^{}]*\}/g, 'x');
  return new URL(raw);
}

const isDeclared = (host: string, domains: readonly string[]) => domains.includes(host.toLowerCase());

/** Loopback hosts: in demo mode the demo body systems are served by the gateway itself. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Every URI of a single-sign-on client: where the gateway sends citizens, tokens or requests. */
const ssoUris = (sso: SsoClient) =>
  [
    ...sso.redirectUris,
    ...sso.postLogoutRedirectUris,
    sso.backchannelLogoutUri,
    sso.initiateLoginUri,
    sso.clientAuthentication.jwksUri,
  ].filter((uri): uri is string => Boolean(uri));

export interface LinkPolicyOptions {
  demo: boolean;
  /** The gateway's own origin, where demo mode serves the demo body systems. */
  gatewayOrigin?: string;
}

const isDemoSystem = (url: URL, options: LinkPolicyOptions) =>
  options.demo && (LOOPBACK.has(url.hostname) || url.origin === options.gatewayOrigin);

/**
 * A body's links may only lead to its own declared hosts, over https outside demo mode (the schema has
 * already refused every scheme other than http and https: no javascript:, data:, file:).
 */
export function checkServiceLinks(
  service: { deepLink: DeepLink; integration?: string; sso?: SsoClient },
  body: Body,
  options: LinkPolicyOptions,
) {
  if (service.sso) checkSsoClient(service.sso, service.integration, body, options);
  const url = linkOrigin(service.deepLink);
  if (url.protocol !== 'https:' && !(options.demo && url.protocol === 'http:')) {
    throw new LinkRejectedError('deep links must use https');
  }
  if (url.username || url.password) throw new LinkRejectedError('deep links may not carry credentials');
  if (!isDeclared(url.hostname, body.domains)) {
    throw new LinkRejectedError(`the host ${url.hostname} is not one of the body's declared domains`);
  }
}

/**
 * The URIs of a single-sign-on client follow the same rules as links (https outside demo mode, on the
 * body's declared hosts, no credentials); redirect URIs have no fragment (OpenID Connect Core 3.1.2.1)
 * and share one host, the sector of the body's pairwise subject identifiers.
 */
function checkSsoClient(
  sso: SsoClient,
  integration: string | undefined,
  body: Body,
  options: LinkPolicyOptions,
) {
  if (integration !== undefined && integration !== 'sso')
    throw new LinkRejectedError('an sso block needs integration "sso"');
  for (const raw of ssoUris(sso)) {
    const url = new URL(raw);
    const demoHost = isDemoSystem(url, options);
    if (url.protocol !== 'https:' && !(options.demo && url.protocol === 'http:'))
      throw new LinkRejectedError('single sign-on URIs must use https');
    if (url.username || url.password)
      throw new LinkRejectedError('single sign-on URIs may not carry credentials');
    if (url.hash) throw new LinkRejectedError('single sign-on URIs may not carry a fragment');
    if (!demoHost && !isDeclared(url.hostname, body.domains))
      throw new LinkRejectedError(
        `the single sign-on host ${url.hostname} is not one of the body's declared domains`,
      );
  }
  if (new Set(sso.redirectUris.map((uri) => new URL(uri).host)).size > 1)
    throw new LinkRejectedError('the redirect URIs of a service must share one host');
}

/**
 * The hosts of a single-sign-on client that are not (any longer) among the body's declared domains: an
 * admin withdrew a domain after the URIs were written. Checked where the client is used (authorization,
 * token, userinfo, back-channel logout), so a withdrawn domain cuts the client off at once, and a domain
 * declared again gives it back.
 */
export function undeclaredSsoHosts(sso: SsoClient, body: Body, options: LinkPolicyOptions): string[] {
  const hosts = ssoUris(sso)
    .map((raw) => new URL(raw))
    .filter((url) => !isDemoSystem(url, options) && !isDeclared(url.hostname, body.domains))
    .map((url) => url.hostname);
  return [...new Set(hosts)];
}
