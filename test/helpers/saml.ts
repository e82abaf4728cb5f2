import { inflateRawSync } from 'node:zlib';
import * as cheerio from 'cheerio';
import request, { type Agent } from 'supertest';
import type { Level } from '../../src/identity/citizen.ts';
import type { IdpDescriptor } from '../../src/identity/spid/idp-metadata.ts';
import { generateSpidKeyPair, type KeyPair } from '../../src/identity/spid/sp-certificate.ts';
import { signElement } from '../../src/identity/spid/xml-signature.ts';
import { buildSignedResponse, type ResponseInput } from '../../src/demo/spid-idp/response-builder.ts';
import { spidAttributes, DEMO_IDENTITIES } from '../../src/demo/spid-idp/identities.ts';
import type { TestGateway } from './gateway.ts';

/** A test IdP that signs with its own key, generated once per test file (test-only keys). */
export interface TestIdp {
  entityId: string;
  keys: KeyPair;
  descriptor: IdpDescriptor;
}

export function createTestIdp(entityId = 'https://idp.test.invalid/spid'): TestIdp {
  const keys = generateSpidKeyPair({
    commonName: 'Test-only IdP',
    organizationName: 'Test-only IdP',
    entityId,
    ipaCode: 'test_only',
    localityName: 'Prato',
  });
  return {
    entityId,
    keys,
    descriptor: {
      entityId,
      name: 'Test IdP',
      ssoRedirect: `${entityId}/sso`,
      sloRedirect: `${entityId}/slo`,
      certs: [keys.cert],
    },
  };
}

/** The decoded AuthnRequest and RelayState of a /spid/login redirect. */
export function decodeLoginRedirect(location: string) {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString(
    'utf8',
  );
  const id = /ID="([^"]+)"/.exec(xml)?.[1] ?? '';
  return { url, xml, id, relayState: url.searchParams.get('RelayState') ?? '' };
}

/**
 * The browser-binding cookie ("name=value") a /spid/login answer sets: a browser sends it with the
 * IdP's POST to the ACS (SameSite=None over https; Lax, same-site IdPs only, over plain http), unlike
 * the session cookie.
 */
export function bindingCookie(res: { headers: Record<string, unknown> }): string {
  const lines = (res.headers['set-cookie'] ?? []) as string[];
  const pair = lines.map((line) => line.split(';')[0] ?? '').find((p) => /^(__Host-)?varco\.spid=/.test(p));
  if (!pair) throw new Error('no browser-binding cookie on the answer');
  return pair;
}

/**
 * Starts a login at /spid/login and returns the outstanding request's id and RelayState, and the
 * browser-binding cookie to send with the Response.
 */
export async function startLogin(agent: Agent, idp: TestIdp, level: Level = 2, next?: string) {
  const query = `idp=${encodeURIComponent(idp.entityId)}&level=${level}${next ? `&next=${encodeURIComponent(next)}` : ''}`;
  const res = await agent.get(`/spid/login?${query}`).expect(302);
  return { ...decodeLoginRedirect(res.headers.location ?? ''), cookie: bindingCookie(res) };
}

export const TEST_CITIZEN = DEMO_IDENTITIES[2]!;

/** A correct, signed Response from `idp` to the request, with single fields overridable. */
export function signedResponse(
  gateway: TestGateway,
  idp: TestIdp,
  requestId: string,
  fields: Partial<ResponseInput> = {},
  options: { signAssertion?: boolean; signResponse?: boolean; keys?: KeyPair } = {},
): string {
  const { sp } = gateway.deps.spid;
  const xml = buildSignedResponse(
    {
      idpEntityId: idp.entityId,
      spEntityId: sp.entityId,
      acsUrl: sp.acsUrl,
      inResponseTo: requestId,
      level: 2,
      attributes: spidAttributes(TEST_CITIZEN),
      ...fields,
    },
    options.keys ?? idp.keys,
    options,
  );
  return xml;
}

/**
 * Pretty-prints SAML as many IdPs send it (AgID's spid-sp-test among them): each element on its own line
 * and each text value on a line of its own, so whitespace surrounds every value.
 */
export function indentXml(xml: string): string {
  return xml.replace(/>([^<]+)</g, '>\n      $1\n    <').replace(/></g, '>\n    <');
}

/** A correct Response as `signedResponse` makes it, but pretty-printed before its Assertion and it are signed. */
export function indentedSignedResponse(
  gateway: TestGateway,
  idp: TestIdp,
  requestId: string,
  fields: Partial<ResponseInput> = {},
): string {
  const unsigned = signedResponse(gateway, idp, requestId, fields, {
    signAssertion: false,
    signResponse: false,
  });
  const xml = indentXml(unsigned);
  const idOf = (local: string) => new RegExp(`<samlp?:${local}\\s[^>]*\\bID="([^"]+)"`).exec(xml)?.[1] ?? '';
  const assertionSigned = signElement(xml, idp.keys, { localName: 'Assertion', id: idOf('Assertion') });
  return signElement(assertionSigned, idp.keys, { localName: 'Response', id: idOf('Response') });
}

export const base64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/**
 * Posts an IdP's Response to /spid/acs as the browser that started the login does: with that login's
 * RelayState and browser-binding cookie (from startLogin).
 */
export function postResponse(
  gateway: TestGateway,
  xml: string,
  started: { relayState: string; cookie: string },
) {
  return request(gateway.app)
    .post('/spid/acs')
    .set('Cookie', started.cookie)
    .set('Accept', 'application/json')
    .type('form')
    .send({ SAMLResponse: base64(xml), RelayState: started.relayState });
}

/** The hidden inputs of the first form of a page, and its action. */
export function formOf(html: string) {
  const $ = cheerio.load(html);
  const form = $('form').first();
  const fields: Record<string, string> = {};
  form.find('input[type="hidden"]').each((_, input) => {
    fields[$(input).attr('name') ?? ''] = $(input).attr('value') ?? '';
  });
  return { action: form.attr('action') ?? '', fields };
}
