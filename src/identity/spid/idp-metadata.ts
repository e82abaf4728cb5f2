import { DOMParser } from '@xmldom/xmldom';
import { certificatePem } from './sp-certificate.ts';
import { BINDING, NS } from './saml-constants.ts';
import { hasValidRootSignature } from './xml-signature.ts';

/** What the SP needs to know of one SPID identity provider, from its metadata. */
export interface IdpDescriptor {
  entityId: string;
  /** Human name (OrganizationDisplayName or OrganizationName), for the SPID button. */
  name: string;
  ssoRedirect: string;
  ssoPost?: string;
  sloRedirect?: string;
  sloPost?: string;
  /** PEM certificates the IdP signs with. */
  certs: string[];
}

export class MetadataError extends Error {
  override name = 'MetadataError';
}

const children = (parent: Element | Document, ns: string, local: string): Element[] =>
  Array.from(parent.getElementsByTagNameNS(ns, local) as unknown as ArrayLike<Element>);

const directChildren = (parent: Element, ns: string, local: string): Element[] =>
  Array.from(parent.childNodes as unknown as ArrayLike<Element>).filter(
    (node) => node.nodeType === 1 && node.namespaceURI === ns && node.localName === local,
  );

/** Parses XML refusing DTDs (no entity expansion tricks) and reporting parser errors as failures. */
export function parseXml(xml: string): Document {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new MetadataError('DTDs are not accepted');
  const errors: string[] = [];
  const doc = new DOMParser({
    errorHandler: (level: string, message: unknown) => {
      if (level !== 'warning') errors.push(String(message));
    },
  }).parseFromString(xml, 'text/xml');
  if (errors.length > 0 || !doc.documentElement) throw new MetadataError('malformed XML');
  return doc;
}

function endpoint(role: Element, local: string, binding: string): string | undefined {
  return (
    directChildren(role, NS.metadata, local)
      .find((e) => e.getAttribute('Binding') === binding)
      ?.getAttribute('Location') ?? undefined
  );
}

function describe(entity: Element): IdpDescriptor | undefined {
  const entityId = entity.getAttribute('entityID');
  const role = directChildren(entity, NS.metadata, 'IDPSSODescriptor')[0];
  if (!entityId || !role) return undefined;
  const certs = directChildren(role, NS.metadata, 'KeyDescriptor')
    .filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((k) => children(k, NS.dsig, 'X509Certificate'))
    .map((c) => certificatePem(c.textContent ?? ''));
  const ssoRedirect = endpoint(role, 'SingleSignOnService', BINDING.redirect);
  if (!ssoRedirect || certs.length === 0) return undefined;
  const organization = directChildren(entity, NS.metadata, 'Organization')[0];
  const label = (local: string) =>
    organization ? directChildren(organization, NS.metadata, local)[0]?.textContent?.trim() : undefined;
  return {
    entityId,
    name: label('OrganizationDisplayName') || label('OrganizationName') || entityId,
    ssoRedirect,
    ssoPost: endpoint(role, 'SingleSignOnService', BINDING.post),
    sloRedirect: endpoint(role, 'SingleLogoutService', BINDING.redirect),
    sloPost: endpoint(role, 'SingleLogoutService', BINDING.post),
    certs,
  };
}

/**
 * The SPID registry signs its EntitiesDescriptor: the one signature must be the root's own child,
 * reference the root and verify with the configured registry certificate.
 */
function verifyAggregateSignature(xml: string, doc: Document, cert: string): void {
  // Entities inside may carry their own signatures too; what counts is the root's own one.
  if (directChildren(doc.documentElement, NS.dsig, 'Signature').length === 0) {
    throw new MetadataError('the aggregate is not signed');
  }
  if (!hasValidRootSignature(xml, doc.documentElement, [cert])) {
    throw new MetadataError('the aggregate signature is not valid');
  }
}

/**
 * The IdPs of a metadata document: one EntityDescriptor or an EntitiesDescriptor aggregate.
 * Entities without an IdP role, a Redirect SSO endpoint or a signing certificate are skipped.
 */
export function parseIdpMetadata(xml: string, options: { signedBy?: string } = {}): IdpDescriptor[] {
  const doc = parseXml(xml);
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.metadata) throw new MetadataError('not SAML metadata');
  if (options.signedBy) verifyAggregateSignature(xml, doc, options.signedBy);
  const entities =
    root.localName === 'EntityDescriptor' ? [root] : children(doc, NS.metadata, 'EntityDescriptor');
  return entities.flatMap((entity) => describe(entity) ?? []);
}
