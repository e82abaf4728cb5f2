import { randomBytes } from 'node:crypto';
import type { Level } from '../../identity/citizen.ts';
import {
  BEARER,
  LEVEL_URI,
  NAMEID_FORMAT,
  NS,
  samlId,
  samlInstant,
  STATUS_SUCCESS,
  xmlEscape as x,
} from '../../identity/spid/saml-constants.ts';
import type { KeyPair } from '../../identity/spid/sp-certificate.ts';
import { signElement } from '../../identity/spid/xml-signature.ts';

/** Every value of a SPID Response an IdP decides; tests override single fields to break single rules. */
export interface ResponseFields {
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  inResponseTo: string;
  level: Level;
  attributes: Record<string, string>;
  now: number;
  version: string;
  destination: string;
  issueInstant: string;
  assertionIssueInstant: string;
  responseIssuer: string;
  assertionIssuer: string;
  assertionIssuerFormat: string;
  nameIdFormat: string;
  nameQualifier: string;
  confirmationMethod: string;
  recipient: string;
  confirmationInResponseTo: string;
  confirmationNotOnOrAfter: string;
  notBefore: string;
  notOnOrAfter: string;
  audience: string;
  authnContextClassRef: string;
  /** A non-success status (no Assertion is sent): SAML status code and SPID "ErrorCode nrNN" message. */
  failure?: { statusCode: string; message: string };
}

export type ResponseInput = Pick<
  ResponseFields,
  'idpEntityId' | 'spEntityId' | 'acsUrl' | 'inResponseTo' | 'level' | 'attributes'
> &
  Partial<ResponseFields>;

const ASSERTION_LIFETIME_MS = 5 * 60 * 1000;

/** Fills every field the way a conforming SPID IdP would (Regole tecniche SPID, "Response"). */
export function responseFields(input: ResponseInput): ResponseFields {
  const now = input.now ?? Date.now();
  const instant = samlInstant(now);
  const until = samlInstant(now + ASSERTION_LIFETIME_MS);
  return {
    now,
    version: '2.0',
    destination: input.acsUrl,
    issueInstant: instant,
    assertionIssueInstant: instant,
    responseIssuer: input.idpEntityId,
    assertionIssuer: input.idpEntityId,
    assertionIssuerFormat: NAMEID_FORMAT.entity,
    nameIdFormat: NAMEID_FORMAT.transient,
    nameQualifier: input.idpEntityId,
    confirmationMethod: BEARER,
    recipient: input.acsUrl,
    confirmationInResponseTo: input.inResponseTo,
    confirmationNotOnOrAfter: until,
    notBefore: instant,
    notOnOrAfter: until,
    audience: input.spEntityId,
    authnContextClassRef: LEVEL_URI[input.level],
    ...input,
  };
}

function attributeStatement(attributes: Record<string, string>): string {
  const items = Object.entries(attributes).map(
    ([name, value]) =>
      `<saml:Attribute Name="${x(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
      `<saml:AttributeValue xsi:type="xs:string">${x(value)}</saml:AttributeValue></saml:Attribute>`,
  );
  return `<saml:AttributeStatement>${items.join('')}</saml:AttributeStatement>`;
}

export function assertionXml(f: ResponseFields, id: string): string {
  return (
    `<saml:Assertion xmlns:saml="${NS.assertion}" xmlns:xs="http://www.w3.org/2001/XMLSchema"` +
    ` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="${id}" Version="2.0" IssueInstant="${f.assertionIssueInstant}">` +
    `<saml:Issuer Format="${x(f.assertionIssuerFormat)}">${x(f.assertionIssuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${x(f.nameIdFormat)}" NameQualifier="${x(f.nameQualifier)}">` +
    `${samlId(randomBytes(16).toString('hex'))}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${x(f.confirmationMethod)}"><saml:SubjectConfirmationData` +
    ` Recipient="${x(f.recipient)}" InResponseTo="${x(f.confirmationInResponseTo)}" NotOnOrAfter="${f.confirmationNotOnOrAfter}"/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${f.notBefore}" NotOnOrAfter="${f.notOnOrAfter}">` +
    `<saml:AudienceRestriction><saml:Audience>${x(f.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${f.assertionIssueInstant}" SessionIndex="${samlId(randomBytes(12).toString('hex'))}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>${x(f.authnContextClassRef)}</saml:AuthnContextClassRef>` +
    `</saml:AuthnContext></saml:AuthnStatement>${attributeStatement(f.attributes)}</saml:Assertion>`
  );
}

/**
 * A SPID Response: the Assertion signed, then the Response signed (both RSA-SHA256, exclusive c14n),
 * or, for a failure, a signed Response with the SPID error status and no Assertion.
 */
export function buildSignedResponse(
  input: ResponseInput,
  keys: KeyPair,
  options: { signAssertion?: boolean; signResponse?: boolean } = {},
): string {
  const f = responseFields(input);
  const responseId = samlId(randomBytes(16).toString('hex'));
  const assertionId = samlId(randomBytes(16).toString('hex'));
  let assertion = '';
  if (!f.failure) {
    assertion = assertionXml(f, assertionId);
    if (options.signAssertion !== false) {
      assertion = signElement(assertion, keys, { localName: 'Assertion', id: assertionId });
    }
  }
  const status = f.failure
    ? `<samlp:Status><samlp:StatusCode Value="${x(f.failure.statusCode)}"/>` +
      `<samlp:StatusMessage>${x(f.failure.message)}</samlp:StatusMessage></samlp:Status>`
    : `<samlp:Status><samlp:StatusCode Value="${STATUS_SUCCESS}"/></samlp:Status>`;
  const response =
    `<samlp:Response xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${responseId}"` +
    ` Version="${x(f.version)}" IssueInstant="${f.issueInstant}" Destination="${x(f.destination)}"` +
    ` InResponseTo="${x(f.inResponseTo)}">` +
    `<saml:Issuer Format="${NAMEID_FORMAT.entity}">${x(f.responseIssuer)}</saml:Issuer>${status}${assertion}</samlp:Response>`;
  return options.signResponse === false
    ? response
    : signElement(response, keys, { localName: 'Response', id: responseId });
}
