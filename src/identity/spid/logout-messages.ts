import { NAMEID_FORMAT, NS, samlInstant, STATUS_SUCCESS, xmlEscape as x } from './saml-constants.ts';

export interface LogoutRequestInput {
  id: string;
  issuedAt: number;
  issuer: string;
  destination: string;
  nameId: string;
  nameQualifier: string;
  sessionIndex: string;
}

/**
 * LogoutRequest per the SPID technical rules ("Single Logout"): Issuer with NameQualifier and Format
 * entity, the NameID (transient, with the IdP's NameQualifier) and SessionIndex of the login.
 */
export function buildLogoutRequest(input: LogoutRequestInput): string {
  return (
    `<samlp:LogoutRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${x(input.id)}" Version="2.0"` +
    ` IssueInstant="${samlInstant(input.issuedAt)}" Destination="${x(input.destination)}">` +
    `<saml:Issuer NameQualifier="${x(input.issuer)}" Format="${NAMEID_FORMAT.entity}">${x(input.issuer)}</saml:Issuer>` +
    `<saml:NameID NameQualifier="${x(input.nameQualifier)}" Format="${NAMEID_FORMAT.transient}">${x(input.nameId)}</saml:NameID>` +
    `<samlp:SessionIndex>${x(input.sessionIndex)}</samlp:SessionIndex></samlp:LogoutRequest>`
  );
}

export interface LogoutResponseInput {
  id: string;
  issuedAt: number;
  issuer: string;
  destination: string;
  inResponseTo: string;
  status?: string;
}

export function buildLogoutResponse(input: LogoutResponseInput): string {
  return (
    `<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${x(input.id)}" Version="2.0"` +
    ` IssueInstant="${samlInstant(input.issuedAt)}" Destination="${x(input.destination)}" InResponseTo="${x(input.inResponseTo)}">` +
    `<saml:Issuer NameQualifier="${x(input.issuer)}" Format="${NAMEID_FORMAT.entity}">${x(input.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${x(input.status ?? STATUS_SUCCESS)}"/></samlp:Status></samlp:LogoutResponse>`
  );
}
