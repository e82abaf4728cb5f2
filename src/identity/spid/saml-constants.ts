import type { Level } from '../citizen.ts';

/** SAML 2.0 names used by the SPID profile (OASIS SAML core/bindings/metadata 2.0). */
export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  /** SPID metadata extensions (AgID Avviso SPID n.29 v3). */
  spid: 'https://spid.gov.it/saml-extensions',
} as const;

export const BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

export const NAMEID_FORMAT = {
  entity: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const;

export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
export const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export const ALGORITHMS = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
} as const;

/** AuthnContextClassRef of each SPID level (SPID technical rules, AuthnRequest / Response). */
export const LEVEL_URI: Record<Level, string> = {
  1: 'https://www.spid.gov.it/SpidL1',
  2: 'https://www.spid.gov.it/SpidL2',
  3: 'https://www.spid.gov.it/SpidL3',
};

export function levelOfUri(uri: string | undefined): Level | undefined {
  const found = Object.entries(LEVEL_URI).find(([, value]) => value === uri);
  return found ? (Number(found[0]) as Level) : undefined;
}

/** Escapes text for XML element content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A SAML ID: an xs:ID (NCName), so it must not start with a digit. */
export function samlId(random: string): string {
  return `_${random}`;
}

/** SAML timestamps: UTC, no milliseconds (SPID technical rules accept xs:dateTime in UTC). */
export function samlInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
