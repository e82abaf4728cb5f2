import type { CitizenIdentity } from '../identity/citizen.ts';
import { initiateLoginUrl } from '../sso/initiate-login.ts';
import { LinkRejectedError } from './link-policy.ts';
import type { DeepLink, Service, TemplatePlaceholder } from './model.ts';

export type LinkAttributes = Partial<Record<TemplatePlaceholder, string>>;

/** The attributes a template may use, taken from the session's citizen (nothing from the request). */
export function linkAttributes(citizen: CitizenIdentity | undefined, lang: string): LinkAttributes {
  return {
    lang,
    ...(citizen
      ? {
          fiscalCode: citizen.fiscalCode,
          name: citizen.name,
          familyName: citizen.familyName,
          dateOfBirth: citizen.dateOfBirth,
          email: citizen.email,
        }
      : {}),
  };
}

const segments = (url: URL) => url.pathname.split('/').length;

/**
 * The URL a deep link leads to. A template's placeholders are replaced by URL-encoded attribute values
 * (empty when the citizen has none), so a value can never add a path segment, a query parameter or
 * change the host; the result is parsed with `new URL()` and must keep the template's origin and its
 * number of path segments: a value "." or ".." (which URL parsing resolves as a dot segment even when
 * percent-encoded, WHATWG URL "double-dot segment") cannot climb out of the template's path.
 */
export function buildDeepLink(link: DeepLink, attributes: LinkAttributes): URL {
  if ('url' in link) return new URL(link.url);
  const filled = link.template.replace(/\{([a-zA-Z]+)\}/g, (_, name: string) =>
    encodeURIComponent(attributes[name as TemplatePlaceholder] ?? ''),
  );
  const url = new URL(filled);
  const expected = new URL(link.template.replace(/\{[^{}]*\}/g, 'x'));
  if (url.origin !== expected.origin || segments(url) !== segments(expected)) {
    throw new LinkRejectedError("the citizen's attributes do not fit the service's link template");
  }
  return url;
}

/**
 * Where /go/:serviceId sends the citizen: for a single-sign-on service that registered a login start,
 * its initiate_login_uri with the deep link as target (OpenID Connect third-party-initiated login), so
 * the service sends the citizen to the gateway's provider and they arrive identified; otherwise the
 * deep link itself.
 */
export function serviceEntryUrl(
  service: Pick<Service, 'deepLink' | 'integration' | 'sso'>,
  attributes: LinkAttributes,
  issuer: string,
): URL {
  const target = buildDeepLink(service.deepLink, attributes);
  if (service.integration !== 'sso') return target;
  return initiateLoginUrl(service.sso, issuer, target) ?? target;
}
