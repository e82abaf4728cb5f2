import type { Level } from '../citizen.ts';
import { LEVEL_URI, NAMEID_FORMAT, NS, samlInstant, xmlEscape as x } from './saml-constants.ts';

export interface AuthnRequestInput {
  id: string;
  issuedAt: number;
  spEntityId: string;
  destination: string;
  level: Level;
  /** A fresh authentication was asked for (a service's prompt=login or max_age), whatever the level. */
  forceAuthn?: boolean;
}

/**
 * The AuthnRequest as the SPID technical rules want it ("AuthnRequest"): Issuer with NameQualifier and
 * Format entity; NameIDPolicy transient without AllowCreate; RequestedAuthnContext Comparison "minimum"
 * with the SpidL URI; ForceAuthn above level 1 (mandatory) and at level 1 when a fresh authentication is
 * wanted (allowed there); AssertionConsumerServiceIndex and
 * AttributeConsumingServiceIndex 0 (as in our metadata); Destination the IdP's SSO endpoint.
 * Built here rather than by node-saml, whose request lacks the Issuer attributes and carries AllowCreate.
 */
export function buildAuthnRequest(input: AuthnRequestInput): string {
  const forceAuthn = input.level > 1 || input.forceAuthn ? ' ForceAuthn="true"' : '';
  return (
    `<samlp:AuthnRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${x(input.id)}"` +
    ` Version="2.0" IssueInstant="${samlInstant(input.issuedAt)}" Destination="${x(input.destination)}"` +
    `${forceAuthn} AssertionConsumerServiceIndex="0" AttributeConsumingServiceIndex="0">` +
    `<saml:Issuer NameQualifier="${x(input.spEntityId)}" Format="${NAMEID_FORMAT.entity}">${x(input.spEntityId)}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="${NAMEID_FORMAT.transient}"/>` +
    `<samlp:RequestedAuthnContext Comparison="minimum">` +
    `<saml:AuthnContextClassRef>${LEVEL_URI[input.level]}</saml:AuthnContextClassRef>` +
    `</samlp:RequestedAuthnContext></samlp:AuthnRequest>`
  );
}
