import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import { BadRequestError } from '../../platform/errors.ts';
import type { Level } from '../../identity/citizen.ts';
import { parseIdpMetadata, parseXml } from '../../identity/spid/idp-metadata.ts';
import { buildLogoutResponse } from '../../identity/spid/logout-messages.ts';
import { redirectUrl, verifyRedirect } from '../../identity/spid/redirect-binding.ts';
import { BINDING, levelOfUri, NS, samlId, xmlEscape as x } from '../../identity/spid/saml-constants.ts';
import type { ServiceProvider } from '../../identity/spid/service-provider.ts';
import { certificateBody, generateSpidKeyPair } from '../../identity/spid/sp-certificate.ts';
import { localKeyPair } from '../../identity/spid/sp-keys.ts';
import { DEMO_IDENTITIES, spidAttributes } from './identities.ts';
import { buildSignedResponse } from './response-builder.ts';

const pendingSchema = z.object({
  requestId: z.string(),
  level: z.number().int().min(1).max(3),
  relayState: z.string().optional(),
});
type Pending = z.infer<typeof pendingSchema>;

const PENDING_TTL_SECONDS = 600;

/** SPID failures carry status Responder and "ErrorCode nrNN" as StatusMessage (Regole tecniche SPID). */
const RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';

/** What the IdP's answer page posts back to the SP's ACS (HTTP-POST binding). */
export interface PostBack {
  acsUrl: string;
  samlResponse: string;
  relayState?: string;
}

/**
 * A real SAML IdP for demo mode (never mounted in production): its own key, its own metadata, test
 * identities at every SPID level, and the SPID rules on its side of the protocol. It serves one SP:
 * this gateway, whose certificate it checks on every AuthnRequest.
 */
export function createDemoIdp(config: Readonly<Config>, redis: RedisConnection, sp: ServiceProvider) {
  const base = config.http.publicUrl.replace(/\/+$/, '');
  const entityId = `${base}/demo/spid-idp`;
  const keys = localKeyPair(config.spid.varDir, 'demo-idp', () =>
    generateSpidKeyPair({
      commonName: 'Varco demo SPID IdP',
      organizationName: 'Varco demo',
      entityId,
      ipaCode: config.spid.organization.ipaCode,
      localityName: config.spid.organization.locality,
    }),
  );
  const pendingKey = (token: string) => `${redis.prefix}demo:spid-idp:req:${token}`;

  const metadata =
    `<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${x(entityId)}">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="${NS.protocol}" WantAuthnRequestsSigned="true">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(keys.cert)}` +
    `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>` +
    `<md:SingleLogoutService Binding="${BINDING.redirect}" Location="${x(entityId)}/slo"/>` +
    `<md:SingleSignOnService Binding="${BINDING.redirect}" Location="${x(entityId)}/sso"/>` +
    `</md:IDPSSODescriptor>` +
    `<md:Organization><md:OrganizationName xml:lang="it">Varco demo SPID</md:OrganizationName>` +
    `<md:OrganizationDisplayName xml:lang="it">Demo SPID</md:OrganizationDisplayName>` +
    `<md:OrganizationURL xml:lang="it">${x(base)}</md:OrganizationURL></md:Organization></md:EntityDescriptor>`;
  const [descriptor] = parseIdpMetadata(metadata);
  if (!descriptor) throw new Error('demo SPID IdP: unusable metadata');

  async function takePending(token: unknown): Promise<Pending> {
    if (typeof token !== 'string' || !/^[\w-]{16,64}$/.test(token))
      throw new BadRequestError('demo_idp_request');
    const stored = await redis.client.getDel(pendingKey(token));
    const parsed = stored ? pendingSchema.safeParse(JSON.parse(stored)) : undefined;
    if (!parsed?.success) throw new BadRequestError('demo_idp_request');
    return parsed.data;
  }

  type Outcome = { attributes: Record<string, string>; level: Level } | { failure: string };

  function answer(pending: Pending, outcome: Outcome): PostBack {
    const common = {
      idpEntityId: entityId,
      spEntityId: sp.entityId,
      acsUrl: sp.acsUrl,
      inResponseTo: pending.requestId,
    };
    const xml = buildSignedResponse(
      'failure' in outcome
        ? {
            ...common,
            level: 1,
            attributes: {},
            failure: { statusCode: RESPONDER, message: outcome.failure },
          }
        : { ...common, ...outcome },
      keys,
    );
    return {
      acsUrl: sp.acsUrl,
      samlResponse: Buffer.from(xml, 'utf8').toString('base64'),
      ...(pending.relayState !== undefined ? { relayState: pending.relayState } : {}),
    };
  }

  return {
    entityId,
    keys,
    descriptor,
    metadata: () => metadata,
    identities: DEMO_IDENTITIES,

    /**
     * Receives an AuthnRequest (HTTP-Redirect): checks the SP's signature, Destination and requested level,
     * and parks it in Redis under a random token the login page carries.
     */
    async receive(rawQuery: string): Promise<{ token: string; level: Level; spName: string }> {
      const message = verifyRedirect(rawQuery, [sp.keys.cert]);
      if (!message || message.kind !== 'SAMLRequest') throw new BadRequestError('demo_idp_signature');
      const request = parseXml(message.xml).documentElement;
      const issuer = request.getElementsByTagNameNS(NS.assertion, 'Issuer')[0]?.textContent?.trim();
      const classRef = request.getElementsByTagNameNS(NS.assertion, 'AuthnContextClassRef')[0]?.textContent;
      const level = levelOfUri(classRef?.trim());
      const requestId = request.getAttribute('ID');
      if (request.localName !== 'AuthnRequest' || issuer !== sp.entityId || !level || !requestId) {
        throw new BadRequestError('demo_idp_request');
      }
      if (request.getAttribute('Destination') !== descriptor.ssoRedirect)
        throw new BadRequestError('demo_idp_request');
      const token = randomBytes(18).toString('base64url');
      const pending: Pending = {
        requestId,
        level,
        ...(message.relayState ? { relayState: message.relayState } : {}),
      };
      await redis.client.set(pendingKey(token), JSON.stringify(pending), {
        expiration: { type: 'EX', value: PENDING_TTL_SECONDS },
      });
      return { token, level, spName: sp.organization.displayName };
    },

    /** The citizen picked a test identity: a signed Response at the requested level (never above theirs). */
    async authenticate(token: unknown, spidCode: unknown): Promise<PostBack> {
      const pending = await takePending(token);
      const identity = DEMO_IDENTITIES.find((i) => i.spidCode === spidCode);
      if (!identity) throw new BadRequestError('demo_idp_identity');
      // Regole tecniche SPID, ErrorCode nr20: credentials not compatible with the requested level.
      if (identity.maxLevel < pending.level) return answer(pending, { failure: 'ErrorCode nr20' });
      return answer(pending, { attributes: spidAttributes(identity), level: pending.level as Level });
    },

    /** The SP's signed LogoutRequest: ends the (stateless) demo IdP session and answers with a LogoutResponse. */
    logout(rawQuery: string): string {
      const message = verifyRedirect(rawQuery, [sp.keys.cert]);
      if (!message || message.kind !== 'SAMLRequest') throw new BadRequestError('demo_idp_signature');
      const request = parseXml(message.xml).documentElement;
      const requestId = request.getAttribute('ID');
      if (request.localName !== 'LogoutRequest' || !requestId) throw new BadRequestError('demo_idp_request');
      const xml = buildLogoutResponse({
        id: samlId(randomBytes(16).toString('hex')),
        issuedAt: Date.now(),
        issuer: entityId,
        destination: sp.sloUrl,
        inResponseTo: requestId,
      });
      return redirectUrl(sp.sloUrl, 'SAMLResponse', xml, message.relayState, keys.key);
    },

    /** The citizen cancelled (Regole tecniche SPID, ErrorCode nr25). */
    async cancel(token: unknown): Promise<PostBack> {
      return answer(await takePending(token), { failure: 'ErrorCode nr25' });
    },
  };
}

export type DemoIdp = ReturnType<typeof createDemoIdp>;
