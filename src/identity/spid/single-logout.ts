import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { SessionIndex } from '../../citizen/session-index.ts';
import type { IdpRegistry } from './idp-registry.ts';
import { parseXml } from './idp-metadata.ts';
import { buildLogoutRequest, buildLogoutResponse } from './logout-messages.ts';
import type { LogoutStore } from './logout-store.ts';
import { decodeRedirect, redirectUrl, verifyRedirect } from './redirect-binding.ts';
import { NS, samlId } from './saml-constants.ts';
import type { IdpDescriptor } from './idp-metadata.ts';
import { hasValidRootSignature } from './xml-signature.ts';
import type { ServiceProvider } from './service-provider.ts';
import { SpidResponseError } from './spid-errors.ts';
import { LOGGED_OUT_PATH } from '../logged-out.ts';
import './spid-session.ts';

interface Received {
  root: Element;
  idp: IdpDescriptor;
  relayState?: string;
}

/** How far a logout message's IssueInstant may be from now, besides the clock skew. */
const MESSAGE_LIFETIME_MS = 5 * 60_000;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * SAML Single Logout with SPID IdPs over the HTTP-Redirect binding (SPID technical rules,
 * "Single Logout"): the SP-initiated LogoutRequest on the citizen's logout, the IdP's LogoutResponse,
 * and an IdP-initiated LogoutRequest, which ends the gateway session the login created on every
 * instance (sessions live in Redis) and is answered with a signed LogoutResponse.
 */
export function createSingleLogout(deps: {
  sp: ServiceProvider;
  idps: IdpRegistry;
  store: LogoutStore;
  sessionIndex: SessionIndex;
  now?: () => number;
}) {
  const { sp, idps, store } = deps;
  const now = deps.now ?? Date.now;

  function parseMessage(xml: string) {
    let root;
    try {
      root = parseXml(xml).documentElement;
    } catch {
      throw new SpidResponseError('spid_response_malformed');
    }
    const issuer = root.getElementsByTagNameNS(NS.assertion, 'Issuer')[0]?.textContent?.trim() ?? '';
    const idp = idps.get(issuer);
    if (!idp) throw new SpidResponseError('spid_issuer');
    return { root, idp };
  }

  /** The checks every logout message gets once its signature is verified. */
  function checkMessage(root: Element) {
    if (root.namespaceURI !== NS.protocol || root.getAttribute('Version') !== '2.0') {
      throw new SpidResponseError('spid_response_malformed');
    }
    if (root.getAttribute('Destination') !== sp.sloUrl) throw new SpidResponseError('spid_destination');
    const instant = root.getAttribute('IssueInstant') ?? '';
    const issued = Date.parse(instant);
    if (!INSTANT.test(instant) || Math.abs(issued - now()) > sp.clockSkewMs + MESSAGE_LIFETIME_MS) {
      throw new SpidResponseError('spid_issue_instant');
    }
  }

  /** HTTP-Redirect: reads who sent the message, then verifies the query signature with that IdP's certificates. */
  function verifiedRedirect(rawQuery: string): Received {
    const unverified = decodeRedirect(rawQuery);
    if (!unverified) throw new SpidResponseError('spid_response_malformed');
    const { root, idp } = parseMessage(unverified.xml);
    const verified = verifyRedirect(rawQuery, idp.certs);
    if (!verified) throw new SpidResponseError('spid_signature');
    checkMessage(root);
    return { root, idp, relayState: verified.relayState };
  }

  /** HTTP-POST: the message carries an enveloped XML signature over its root. */
  function verifiedPost(body: Record<string, unknown>): Received {
    const encoded = body.SAMLRequest ?? body.SAMLResponse;
    if (typeof encoded !== 'string' || encoded.length > 100_000 || !/^[A-Za-z0-9+/=\s]+$/.test(encoded)) {
      throw new SpidResponseError('spid_response_malformed');
    }
    const xml = Buffer.from(encoded, 'base64').toString('utf8');
    const { root, idp } = parseMessage(xml);
    if (!hasValidRootSignature(xml, root, idp.certs)) throw new SpidResponseError('spid_signature');
    checkMessage(root);
    const relayState = typeof body.RelayState === 'string' ? body.RelayState : undefined;
    return { root, idp, ...(relayState !== undefined ? { relayState } : {}) };
  }

  async function handle({ root, idp, relayState }: Received): Promise<string> {
    if (root.localName === 'LogoutResponse') {
      const expected = await store.takeRequest(root.getAttribute('InResponseTo') ?? '');
      if (expected !== idp.entityId) throw new SpidResponseError('spid_unknown_request');
      return LOGGED_OUT_PATH;
    }
    if (root.localName !== 'LogoutRequest') throw new SpidResponseError('spid_response_malformed');
    const nameId = root.getElementsByTagNameNS(NS.assertion, 'NameID')[0]?.textContent?.trim() ?? '';
    const login = nameId ? await store.takeLogin(idp.entityId, nameId) : undefined;
    if (login) await deps.sessionIndex.end(login.fiscalCode, [login.sessionId]);
    if (!idp.sloRedirect) return '/';
    const xml = buildLogoutResponse({
      id: samlId(randomBytes(20).toString('hex')),
      issuedAt: now(),
      issuer: sp.entityId,
      destination: idp.sloRedirect,
      inResponseTo: root.getAttribute('ID') ?? '',
    });
    return redirectUrl(idp.sloRedirect, 'SAMLResponse', xml, relayState, sp.keys.key);
  }

  return {
    /** Remembers which gateway session a SPID login created, for an IdP-initiated logout. */
    async rememberLogin(req: Request) {
      const { spid, citizen } = req.session;
      if (spid && citizen) {
        await store.rememberLogin(spid.idp, spid.nameId, {
          fiscalCode: citizen.fiscalCode,
          sessionId: req.sessionID,
        });
      }
    },

    /** The identity controller's logout hook: the signed LogoutRequest URL of the citizen's IdP, if it has SLO. */
    async startLogout(req: Request): Promise<string | undefined> {
      const login = req.session.spid;
      const idp = login ? idps.get(login.idp) : undefined;
      if (!login || !idp?.sloRedirect) return undefined;
      await store.takeLogin(login.idp, login.nameId);
      const id = samlId(randomBytes(20).toString('hex'));
      await store.saveRequest(id, idp.entityId);
      const xml = buildLogoutRequest({
        id,
        issuedAt: now(),
        issuer: sp.entityId,
        destination: idp.sloRedirect,
        nameId: login.nameId,
        nameQualifier: login.nameQualifier,
        sessionIndex: login.sessionIndex,
      });
      return redirectUrl(idp.sloRedirect, 'SAMLRequest', xml, undefined, sp.keys.key);
    },

    /** GET /spid/slo (HTTP-Redirect): where to send the browser after the IdP's LogoutResponse or LogoutRequest. */
    receive: (rawQuery: string) => handle(verifiedRedirect(rawQuery)),

    /** POST /spid/slo (HTTP-POST binding). */
    receivePost: (body: Record<string, unknown>) => handle(verifiedPost(body)),
  };
}

export type SingleLogout = ReturnType<typeof createSingleLogout>;
