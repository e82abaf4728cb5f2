import type { Request, Response } from 'express';
import { LEVELS, normaliseFiscalCode, type CitizenIdentity, type Level } from '../citizen.ts';
import type { AssertionVerifier } from './assertion-verifier.ts';
import type { IdpRegistry } from './idp-registry.ts';
import { parseXml } from './idp-metadata.ts';
import type { CompletedRequests, OutstandingRequest, RequestStore } from './request-store.ts';
import { BEARER, levelOfUri, NAMEID_FORMAT, NS, STATUS_SUCCESS } from './saml-constants.ts';
import type { ServiceProvider } from './service-provider.ts';
import { hasValidRootSignature } from './xml-signature.ts';
import { anomalyOf, SpidResponseError, type RejectionCode } from './spid-errors.ts';

/** What a validated Response gives: the citizen, where they were going, and what logout will need. */
export interface ValidatedLogin {
  identity: CitizenIdentity;
  returnTo: string;
  /** The session a step-up replaces, to be ended once the new one exists. */
  replaces?: { sessionId: string; fiscalCode: string };
  /** Kept in the session for Single Logout (SPID technical rules, LogoutRequest). */
  logout: { idp: string; nameId: string; nameQualifier: string; sessionIndex: string };
  repeated?: undefined;
}

/** The browser that was logged in by this Response posting it again: no new login, only the way on. */
export interface RepeatedLogin {
  repeated: true;
  returnTo: string;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The request's IssueInstant as sent: SAML instants here carry whole seconds. */
const requestSecond = (request: OutstandingRequest) => Math.floor(request.issuedAt / 1000) * 1000;

function fail(code: RejectionCode): never {
  throw new SpidResponseError(code);
}

function check(condition: boolean, code: RejectionCode): void {
  if (!condition) fail(code);
}

const elementsIn = (
  parent: Element | { getElementsByTagNameNS: Element['getElementsByTagNameNS'] },
  ns: string,
  local: string,
) => Array.from(parent.getElementsByTagNameNS(ns, local) as unknown as ArrayLike<Element>);

const childrenOf = (parent: Element | undefined, ns: string, local: string): Element[] =>
  parent
    ? Array.from(parent.childNodes as unknown as ArrayLike<Element>).filter(
        (n) => n.nodeType === 1 && n.namespaceURI === ns && n.localName === local,
      )
    : [];

/** The only child with that name; more than one or none is a malformed message. */
function only(parent: Element | undefined, ns: string, local: string, code: RejectionCode): Element {
  const found = childrenOf(parent, ns, local);
  const [first] = found;
  if (found.length !== 1 || !first) return fail(code);
  return first;
}

/**
 * A text value as SAML means it: whitespace around it is layout (IdPs may pretty-print their XML), so it
 * is trimmed. Values read here and the ones the signature library read are both compared this way.
 */
const normalised = (value: unknown): string | undefined =>
  typeof value === 'string' ? value.trim() : undefined;
const text = (element: Element | undefined) => normalised(element?.textContent) ?? '';
const attr = (element: Element | undefined, name: string) => element?.getAttribute(name) ?? '';

function instant(value: string, code: RejectionCode): number {
  check(INSTANT.test(value), code);
  const ms = Date.parse(value);
  check(Number.isFinite(ms), code);
  return ms;
}

export interface ResponseValidatorDeps {
  sp: ServiceProvider;
  idps: IdpRegistry;
  requests: RequestStore;
  completed: CompletedRequests;
  /** The hash of the browser binding the POST carries (browser-binding.ts). */
  browserOf: (req: Request) => string | undefined;
  verifyAssertion: AssertionVerifier;
  now?: () => number;
}

/**
 * Every check the SPID technical rules ask of a Response ("Response", "Assertion") is made here before
 * anything is accepted. The XML signature itself is verified by passport-saml (MultiSamlStrategy, see
 * assertion-verifier.ts) against the certificates of the IdP the request went to, on the one Assertion
 * the document may hold (so a wrapped, unsigned or re-signed assertion is refused); values read here are
 * cross-checked with what the library read from the signed XML.
 */
export function createResponseValidator(deps: ResponseValidatorDeps) {
  const { sp, idps, requests, completed } = deps;
  const now = deps.now ?? Date.now;
  const skew = sp.clockSkewMs;

  function checkAssertion(assertion: Element, request: OutstandingRequest, requestId: string) {
    const t = now();
    check(attr(assertion, 'Version') === '2.0', 'spid_version');
    check(attr(assertion, 'ID') !== '', 'spid_response_malformed');
    const issued = instant(attr(assertion, 'IssueInstant'), 'spid_issue_instant');
    check(issued <= t + skew && issued >= requestSecond(request) - skew, 'spid_issue_instant');

    const issuer = only(assertion, NS.assertion, 'Issuer', 'spid_issuer');
    check(text(issuer) === request.idp && attr(issuer, 'Format') === NAMEID_FORMAT.entity, 'spid_issuer');

    const subject = only(assertion, NS.assertion, 'Subject', 'spid_name_id');
    const nameId = only(subject, NS.assertion, 'NameID', 'spid_name_id');
    check(attr(nameId, 'Format') === NAMEID_FORMAT.transient, 'spid_name_id');
    check(attr(nameId, 'NameQualifier') !== '' && text(nameId) !== '', 'spid_name_id');

    const confirmation = only(subject, NS.assertion, 'SubjectConfirmation', 'spid_subject_confirmation');
    check(attr(confirmation, 'Method') === BEARER, 'spid_subject_confirmation');
    const data = only(confirmation, NS.assertion, 'SubjectConfirmationData', 'spid_subject_confirmation');
    check(attr(data, 'Recipient') === sp.acsUrl, 'spid_subject_confirmation');
    check(attr(data, 'InResponseTo') === requestId, 'spid_subject_confirmation');
    const confirmationEnd = instant(attr(data, 'NotOnOrAfter'), 'spid_subject_confirmation');
    check(t - skew < confirmationEnd, 'spid_subject_confirmation');

    const conditions = only(assertion, NS.assertion, 'Conditions', 'spid_conditions');
    const notBefore = instant(attr(conditions, 'NotBefore'), 'spid_conditions');
    const notOnOrAfter = instant(attr(conditions, 'NotOnOrAfter'), 'spid_conditions');
    check(t + skew >= notBefore && t - skew < notOnOrAfter, 'spid_conditions');
    const restriction = only(conditions, NS.assertion, 'AudienceRestriction', 'spid_audience');
    const audiences = childrenOf(restriction, NS.assertion, 'Audience').map(text);
    check(audiences.length === 1 && audiences[0] === sp.entityId, 'spid_audience');

    const statement = only(assertion, NS.assertion, 'AuthnStatement', 'spid_authn_context');
    const context = only(statement, NS.assertion, 'AuthnContext', 'spid_authn_context');
    const level = levelOfUri(text(only(context, NS.assertion, 'AuthnContextClassRef', 'spid_authn_context')));
    // Comparison "minimum": the level obtained may be higher than requested, never lower.
    check(level !== undefined && level >= request.level, 'spid_authn_context');

    const attributes = new Map<string, string>();
    for (const statementElement of childrenOf(assertion, NS.assertion, 'AttributeStatement')) {
      for (const attribute of childrenOf(statementElement, NS.assertion, 'Attribute')) {
        attributes.set(
          attr(attribute, 'Name'),
          text(childrenOf(attribute, NS.assertion, 'AttributeValue')[0]),
        );
      }
    }
    check(
      sp.attributes.every((name) => attributes.has(name)),
      'spid_attributes',
    );
    return {
      level: level as Level,
      attributes,
      nameId: text(nameId),
      nameQualifier: attr(nameId, 'NameQualifier'),
      sessionIndex: attr(statement, 'SessionIndex'),
    };
  }

  /** Validates the Response the IdP posted (`req.body`: SAMLResponse, RelayState). */
  return async function validate(req: Request, res: Response): Promise<ValidatedLogin | RepeatedLogin> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const samlResponse = body.SAMLResponse;
    const relayState = body.RelayState;
    if (typeof samlResponse !== 'string' || samlResponse.length === 0 || samlResponse.length > 150_000) {
      fail('spid_response_malformed');
    }
    check(/^[A-Za-z0-9+/=\s]+$/.test(samlResponse), 'spid_response_malformed');
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    let doc;
    try {
      doc = parseXml(xml);
    } catch {
      return fail('spid_response_malformed');
    }
    const response = doc.documentElement;
    check(
      response.namespaceURI === NS.protocol && response.localName === 'Response',
      'spid_response_malformed',
    );
    // Exactly one Response and at most one Assertion anywhere in the document, none encrypted:
    // the first line against signature wrapping.
    check(elementsIn(doc, NS.protocol, 'Response').length === 1, 'spid_response_structure');
    check(elementsIn(doc, NS.assertion, 'EncryptedAssertion').length === 0, 'spid_response_structure');
    const assertions = elementsIn(doc, NS.assertion, 'Assertion');
    check(assertions.length <= 1, 'spid_response_structure');
    check(attr(response, 'Version') === '2.0', 'spid_version');
    check(attr(response, 'ID') !== '', 'spid_response_malformed');
    const issued = instant(attr(response, 'IssueInstant'), 'spid_issue_instant');
    check(attr(response, 'Destination') === sp.acsUrl, 'spid_destination');

    const requestId = attr(response, 'InResponseTo');
    const browser = deps.browserOf(req);
    const outstanding = requestId ? await requests.peek(requestId) : undefined;
    if (!outstanding) {
      const done = requestId ? await completed.find(requestId) : undefined;
      if (done && browser === done.browser && attr(response, 'ID') === done.responseId)
        return { repeated: true, returnTo: done.returnTo };
      return fail('spid_unknown_request');
    }
    // Only the browser that started the login may finish it (login CSRF). Checked before the request
    // is used up, so a Response posted from another browser does not spend its owner's request.
    check(browser !== undefined && browser === outstanding.browser, 'spid_browser');
    const request = await requests.take(requestId);
    if (!request) return fail('spid_unknown_request');
    check(typeof relayState === 'string' && relayState === request.relayState, 'spid_relay_state');
    check(issued <= now() + skew && issued >= requestSecond(request) - skew, 'spid_issue_instant');

    const issuer = only(response, NS.assertion, 'Issuer', 'spid_issuer');
    const format = attr(issuer, 'Format');
    check(text(issuer) === request.idp && (format === '' || format === NAMEID_FORMAT.entity), 'spid_issuer');
    const idp = idps.get(request.idp);
    if (!idp) return fail('spid_issuer');
    // The Assertion's signature is required (below); a Response signature, when present, must be
    // valid too (node-saml would otherwise ignore a broken one).
    if (
      childrenOf(response, NS.dsig, 'Signature').length > 0 &&
      !hasValidRootSignature(xml, response, idp.certs)
    ) {
      fail('spid_signature');
    }

    const status = only(response, NS.protocol, 'Status', 'spid_response_malformed');
    const statusCode = only(status, NS.protocol, 'StatusCode', 'spid_response_malformed');
    if (attr(statusCode, 'Value') !== STATUS_SUCCESS) {
      throw new SpidResponseError(
        'spid_idp_error',
        anomalyOf(text(childrenOf(status, NS.protocol, 'StatusMessage')[0])),
      );
    }
    const [assertion] = assertions;
    if (assertions.length !== 1 || !assertion) return fail('spid_response_structure');
    check(assertion.parentNode === response, 'spid_response_structure');
    const found = checkAssertion(assertion, request, requestId);

    const profile = await deps.verifyAssertion(req, res, idp.certs);
    const signedFiscalNumber = (profile.attributes as Record<string, unknown> | undefined)?.fiscalNumber;
    check(
      normalised(profile.nameID) === found.nameId &&
        normalised(profile.issuer) === request.idp &&
        normalised(signedFiscalNumber) === found.attributes.get('fiscalNumber'),
      'spid_signature',
    );

    const get = (name: string) => found.attributes.get(name) || undefined;
    const fiscalCode = normaliseFiscalCode(get('fiscalNumber') ?? '');
    const name = get('name');
    const familyName = get('familyName');
    if (!fiscalCode) return fail('spid_fiscal_code');
    if (!name || !familyName) return fail('spid_attributes');
    const dateOfBirth = get('dateOfBirth');
    const email = get('email');
    check(LEVELS.includes(found.level), 'spid_authn_context');
    await completed.save(requestId, {
      browser: request.browser,
      responseId: attr(response, 'ID'),
      returnTo: request.returnTo,
    });
    return {
      identity: {
        fiscalCode,
        name,
        familyName,
        ...(dateOfBirth && DATE.test(dateOfBirth) ? { dateOfBirth } : {}),
        ...(email ? { email } : {}),
        level: found.level,
        provider: 'spid',
        issuer: request.idp,
        loginAt: now(),
      },
      returnTo: request.returnTo,
      ...(request.replaces ? { replaces: request.replaces } : {}),
      logout: {
        idp: request.idp,
        nameId: found.nameId,
        nameQualifier: found.nameQualifier,
        sessionIndex: found.sessionIndex,
      },
    };
  };
}

export type ResponseValidator = ReturnType<typeof createResponseValidator>;
