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

export interface RedirectMessage {
  kind: MessageKind;
  xml: string;
  relayState?: string;
}

/** Decodes a Redirect-binding message WITHOUT checking its signature: only to find out who sent it. */
export function decodeRedirect(rawQuery: string): RedirectMessage | undefined {
  const raw = rawParameters(rawQuery);
  const kind: MessageKind | undefined = raw.has('SAMLRequest')
    ? 'SAMLRequest'
    : raw.has('SAMLResponse')
      ? 'SAMLResponse'
      : undefined;
  if (!kind) return undefined;
  try {
    return { kind, xml: inflate(raw.get(kind) ?? '') };
  } catch {
    return undefined;
  }
}

function inflate(urlEncoded: string): string {
  const encoded = decodeURIComponent(urlEncoded.replace(/\+/g, '%20'));
  return inflateRawSync(Buffer.from(encoded, 'base64'), { maxOutputLength: 200_000 }).toString('utf8');
}

/**
 * Decodes a Redirect-binding message and verifies its signature against any of `certs`;
 * undefined when unsigned, signed with another algorithm, or signed by someone else.
 */
export function verifyRedirect(rawQuery: string, certs: readonly string[]): RedirectMessage | undefined {
  const raw = rawParameters(rawQuery);
  const kind: MessageKind | undefined = raw.has('SAMLRequest')
    ? 'SAMLRequest'
    : raw.has('SAMLResponse')
      ? 'SAMLResponse'
      : undefined;
  const sigAlg = raw.get('SigAlg');
  const signature = raw.get('Signature');
  if (!kind || !sigAlg || !signature || decodeURIComponent(sigAlg) !== ALGORITHMS.rsaSha256) return undefined;
  const relay = raw.get('RelayState');
  const signed = [`${kind}=${raw.get(kind)}`]
    .concat(relay !== undefined ? [`RelayState=${relay}`] : [], [`SigAlg=${sigAlg}`])
    .join('&');
  const signatureBytes = Buffer.from(decodeURIComponent(signature), 'base64');
  const valid = certs.some((cert) => {
    try {
      return createVerify('RSA-SHA256').update(signed).verify(cert, signatureBytes);
    } catch {
      return false;
    }
  });
  if (!valid) return undefined;
  let xml: string;
  try {
    xml = inflate(raw.get(kind) ?? '');
  } catch {
    return undefined;
  }
  return {
    kind,
    xml,
    ...(relay !== undefined ? { relayState: decodeURIComponent(relay.replace(/\+/g, '%20')) } : {}),
  };
}
