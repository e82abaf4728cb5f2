import { createSign, createVerify } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ALGORITHMS } from './saml-constants.ts';

export type MessageKind = 'SAMLRequest' | 'SAMLResponse';

/**
 * HTTP-Redirect binding (SAML bindings 2.0 §3.4): DEFLATE + base64 + URL-encoding, and the signature
 * over the query string "SAMLRequest=…&RelayState=…&SigAlg=…" exactly as sent (§3.4.4.1).
 * SPID technical rules: requests over HTTP-Redirect are signed this way, with RSA-SHA256.
 */
export function redirectUrl(
  endpoint: string,
  kind: MessageKind,
  xml: string,
  relayState: string | undefined,
  privateKey: string,
): string {
  const parts = [
    `${kind}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`,
  ];
  if (relayState !== undefined) parts.push(`RelayState=${encodeURIComponent(relayState)}`);
  parts.push(`SigAlg=${encodeURIComponent(ALGORITHMS.rsaSha256)}`);
  const signed = parts.join('&');
  const signature = createSign('RSA-SHA256').update(signed).sign(privateKey, 'base64');
  const url = new URL(endpoint);
  const query = `${signed}&Signature=${encodeURIComponent(signature)}`;
  return `${url.origin}${url.pathname}${url.search ? `${url.search}&` : '?'}${query}`;
}

/** The raw (still URL-encoded) value of each query parameter, as the signature covers them. */
function rawParameters(rawQuery: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && !found.has(pair.slice(0, eq))) found.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return found;
}

/**
 * A raw query value URL-decoded ("+" as a space for the form-encoded message and RelayState), or
 * undefined when its percent-encoding is malformed: anyone can send such a query, and it must end in a
 * 400, not in decodeURIComponent's URIError.
 */
function decoded(raw: string, plusAsSpace = false): string | undefined {
  try {
    return decodeURIComponent(plusAsSpace ? raw.replace(/\+/g, '%20') : raw);
  } catch {
    return undefined;
  }
}

const kindOf = (raw: Map<string, string>): MessageKind | undefined =>
  raw.has('SAMLRequest') ? 'SAMLRequest' : raw.has('SAMLResponse') ? 'SAMLResponse' : undefined;

export interface RedirectMessage {
  kind: MessageKind;
  xml: string;
  relayState?: string;
}

/**
 * Decodes a Redirect-binding message WITHOUT checking its signature: only to find out who sent it.
 * Undefined when the message does not inflate or any of its parameters is malformed.
 */
export function decodeRedirect(rawQuery: string): RedirectMessage | undefined {
  const raw = rawParameters(rawQuery);
  const kind = kindOf(raw);
  if (!kind) return undefined;
  const others = ['RelayState', 'SigAlg', 'Signature'].flatMap((name) => raw.get(name) ?? []);
  if (others.some((value) => decoded(value, true) === undefined)) return undefined;
  const xml = inflate(raw.get(kind) ?? '');
  return xml === undefined ? undefined : { kind, xml };
}

function inflate(urlEncoded: string): string | undefined {
  const encoded = decoded(urlEncoded, true);
  if (encoded === undefined) return undefined;
  try {
    return inflateRawSync(Buffer.from(encoded, 'base64'), { maxOutputLength: 200_000 }).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * Decodes a Redirect-binding message and verifies its signature against any of `certs`;
 * undefined when unsigned, signed with another algorithm, signed by someone else, or malformed.
 */
export function verifyRedirect(rawQuery: string, certs: readonly string[]): RedirectMessage | undefined {
  const raw = rawParameters(rawQuery);
  const kind = kindOf(raw);
  const sigAlg = raw.get('SigAlg');
  const signature = raw.get('Signature');
  if (!kind || !sigAlg || !signature || decoded(sigAlg) !== ALGORITHMS.rsaSha256) return undefined;
  const relay = raw.get('RelayState');
  const signed = [`${kind}=${raw.get(kind)}`]
    .concat(relay !== undefined ? [`RelayState=${relay}`] : [], [`SigAlg=${sigAlg}`])
    .join('&');
  const signatureBase64 = decoded(signature);
  const relayState = relay === undefined ? undefined : decoded(relay, true);
  if (signatureBase64 === undefined || (relay !== undefined && relayState === undefined)) return undefined;
  const signatureBytes = Buffer.from(signatureBase64, 'base64');
  const valid = certs.some((cert) => {
    try {
      return createVerify('RSA-SHA256').update(signed).verify(cert, signatureBytes);
    } catch {
      return false;
    }
  });
  const xml = valid ? inflate(raw.get(kind) ?? '') : undefined;
  if (xml === undefined) return undefined;
  return { kind, xml, ...(relayState !== undefined ? { relayState } : {}) };
}
