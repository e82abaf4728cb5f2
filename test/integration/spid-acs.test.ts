import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { Level } from '../../src/identity/citizen.ts';
import { samlInstant } from '../../src/identity/spid/saml-constants.ts';
import type { ResponseInput } from '../../src/demo/spid-idp/response-builder.ts';
import { sessionKeyPrefix } from '../../src/platform/sessions.ts';
import { createTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import {
  base64,
  createTestIdp,
  indentedSignedResponse,
  postResponse,
  signedResponse,
  startLogin,
  TEST_CITIZEN,
} from '../helpers/saml.ts';

// Many logins from one address in a few seconds: lift the login rate limit for this file.
const MANY_LOGINS = { rateLimit: { login: { windowSeconds: 60, max: 10_000 } } };

// Test-only IdP keys, generated once for the whole file.
const idp = createTestIdp();
const otherIdp = createTestIdp('https://other-idp.test.invalid/spid');

async function sessionCount(gateway: TestGateway): Promise<number> {
  return (await gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`)).length;
}

/** The IdP's POST, as a browser sends it cross-site: the binding cookie of the login, no session cookie. */
const post = (gateway: TestGateway, xml: string, relayState: string, cookie: string) =>
  postResponse(gateway, xml, { relayState, cookie });

describe('POST /spid/acs', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway(MANY_LOGINS);
    gateway.deps.spid.idps.add(idp.descriptor);
    gateway.deps.spid.idps.add(otherIdp.descriptor);
  });
  after(async () => {
    await gateway.close();
  });

  /** Starts a login, sends the Response `build` makes, and checks the rejection left no session. */
  async function expectRejected(
    status: number,
    code: string,
    build: (request: { id: string; relayState: string }) => string,
    options: { level?: Level; relayState?: string } = {},
  ) {
    const started = await startLogin(request.agent(gateway.app), idp, options.level ?? 2);
    const before = await sessionCount(gateway);
    const res = await post(gateway, build(started), options.relayState ?? started.relayState, started.cookie);
    expect(res.status, res.text).to.equal(status);
    expect(JSON.parse(res.text).code).to.equal(code);
    expect(res.headers['set-cookie'], 'no session cookie').to.equal(undefined);
    expect(await sessionCount(gateway), 'no session in Redis').to.equal(before);
    expect(await gateway.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode)).to.deep.equal([]);
  }

  const withFields =
    (fields: Partial<ResponseInput>) =>
    ({ id }: { id: string }) =>
      signedResponse(gateway, idp, id, fields);

  const seconds = (s: number) => samlInstant(Date.now() + s * 1000);

  it('accepts a conforming Response once and creates the session with the citizen', async () => {
    const started = await startLogin(request.agent(gateway.app), idp, 2, '/services?q=x');
    const res = await post(
      gateway,
      signedResponse(gateway, idp, started.id),
      started.relayState,
      started.cookie,
    ).expect(303);
    expect(res.headers.location).to.equal('/services?q=x');
    const me = await request(gateway.app).get('/me').set('Cookie', res.headers['set-cookie']!).expect(200);
    expect(me.text).to.contain(TEST_CITIZEN.fiscalCode);
    const [entry] = await gateway.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode);
    expect(entry?.provider).to.equal('spid');
    await gateway.deps.citizen.sessions.end(TEST_CITIZEN.fiscalCode, [entry!.sessionId]);
  });

  it('accepts a pretty-printed Response: whitespace around signed values is formatting, not part of them', async () => {
    const started = await startLogin(request.agent(gateway.app), idp, 2);
    const xml = indentedSignedResponse(gateway, idp, started.id);
    expect(xml).to.match(/<saml:NameID [^>]*>\n\s+_[0-9a-f]+\n\s+<\/saml:NameID>/);
    expect(xml).to.match(/<saml:AttributeValue [^>]*>\n\s+TINIT-[A-Z0-9]{16}\n\s+<\/saml:AttributeValue>/);
    const res = await post(gateway, xml, started.relayState, started.cookie);
    expect(res.status, res.text).to.equal(303);
    const keys = await gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`);
    const stored = (await Promise.all(keys.map((k) => gateway.redis.client.get(k)))).join('\n');
    // Single Logout names the citizen by the NameID's value, without the layout around it.
    expect(stored).to.match(/"nameId":"_[0-9a-f]+"/);
    const me = await request(gateway.app).get('/me').set('Cookie', res.headers['set-cookie']!).expect(200);
    expect(me.text).to.contain(TEST_CITIZEN.fiscalCode);
    const [entry] = await gateway.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode);
    await gateway.deps.citizen.sessions.end(TEST_CITIZEN.fiscalCode, [entry!.sessionId]);
  });

  it('gives a higher level than requested when the IdP authenticated at a higher level', async () => {
    const started = await startLogin(request.agent(gateway.app), idp, 1);
    const xml = signedResponse(gateway, idp, started.id, { level: 3 });
    const res = await post(gateway, xml, started.relayState, started.cookie).expect(303);
    const keys = await gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`);
    const stored = await Promise.all(keys.map((k) => gateway.redis.client.get(k)));
    expect(stored.some((s) => s?.includes('"level":3'))).to.equal(true);
    expect(res.headers.location).to.equal('/me');
    const [entry] = await gateway.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode);
    await gateway.deps.citizen.sessions.end(TEST_CITIZEN.fiscalCode, [entry!.sessionId]);
  });

  describe('refuses, with a 4xx and no session,', () => {
    it('a Response with two Assertions', () =>
      expectRejected(400, 'spid_response_structure', ({ id }) => {
        const xml = signedResponse(gateway, idp, id);
        const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
        return xml.replace('</samlp:Response>', `${assertion}</samlp:Response>`);
      }));

    it('an EncryptedAssertion', () =>
      expectRejected(400, 'spid_response_structure', ({ id }) =>
        signedResponse(gateway, idp, id).replace(
          '</samlp:Response>',
          '<saml:EncryptedAssertion></saml:EncryptedAssertion></samlp:Response>',
        ),
      ));

    it('a Version other than 2.0', () => expectRejected(400, 'spid_version', withFields({ version: '1.1' })));

    it('a malformed IssueInstant', () =>
      expectRejected(400, 'spid_issue_instant', withFields({ issueInstant: '2026-11-23 07:00:00' })));

    it('an IssueInstant in the future', () =>
      expectRejected(400, 'spid_issue_instant', withFields({ issueInstant: seconds(600) })));

    it('an IssueInstant before the request', () =>
      expectRejected(400, 'spid_issue_instant', withFields({ issueInstant: seconds(-600) })));

    it('a Destination other than our ACS', () =>
      expectRejected(400, 'spid_destination', withFields({ destination: 'https://evil.invalid/spid/acs' })));

    it('an InResponseTo that matches no outstanding request', () =>
      expectRejected(400, 'spid_unknown_request', () => signedResponse(gateway, idp, '_never-requested')));

    it('a RelayState other than the one sent', () =>
      expectRejected(400, 'spid_relay_state', ({ id }) => signedResponse(gateway, idp, id), {
        relayState: 'forged',
      }));

    it('a Response issued by another IdP than the one asked', () =>
      expectRejected(403, 'spid_issuer', ({ id }) =>
        signedResponse(gateway, otherIdp, id, {}, { keys: otherIdp.keys }),
      ));

    it('an Assertion Issuer without Format entity', () =>
      expectRejected(
        403,
        'spid_issuer',
        withFields({ assertionIssuerFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' }),
      ));

    it('an unsigned Assertion (even in a signed Response)', () =>
      expectRejected(403, 'spid_signature', ({ id }) =>
        signedResponse(gateway, idp, id, {}, { signAssertion: false }),
      ));

    it('an Assertion re-signed with a key not in the IdP metadata', () =>
      expectRejected(403, 'spid_signature', ({ id }) =>
        signedResponse(gateway, idp, id, {}, { keys: otherIdp.keys }),
      ));

    it('a Response whose own signature does not verify, even with a valid Assertion signature', () =>
      expectRejected(403, 'spid_signature', ({ id }) =>
        // One second earlier: still a valid IssueInstant, but no longer what the IdP signed.
        signedResponse(gateway, idp, id).replace(
          /(<samlp:Response[^>]*IssueInstant=")([^"]+)"/,
          (_, head: string, instant: string) => `${head}${samlInstant(Date.parse(instant) - 1000)}"`,
        ),
      ));

    it('an Assertion changed after signing', () =>
      expectRejected(403, 'spid_signature', ({ id }) =>
        signedResponse(gateway, idp, id, {}, { signResponse: false }).replace(
          `TINIT-${TEST_CITIZEN.fiscalCode}`,
          'TINIT-BNCLRA85M41G999K',
        ),
      ));

    it('a signature-wrapping attack (signed Assertion hidden, forged one in its place)', () =>
      expectRejected(400, 'spid_response_structure', ({ id }) => {
        const xml = signedResponse(gateway, idp, id, {}, { signResponse: false });
        const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
        const forged = signed
          .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
          .replace(/ID="[^"]+"/, 'ID="_forged"')
          .replace(`TINIT-${TEST_CITIZEN.fiscalCode}`, 'TINIT-BNCLRA85M41G999K');
        return xml.replace(signed, `<samlp:Extensions>${signed}</samlp:Extensions>${forged}`);
      }));

    it('a NameID that is not transient', () =>
      expectRejected(
        400,
        'spid_name_id',
        withFields({ nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' }),
      ));

    it('a NameID without NameQualifier', () =>
      expectRejected(400, 'spid_name_id', withFields({ nameQualifier: '' })));

    it('a SubjectConfirmation that is not bearer', () =>
      expectRejected(
        400,
        'spid_subject_confirmation',
        withFields({ confirmationMethod: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' }),
      ));

    it('a SubjectConfirmationData Recipient other than our ACS', () =>
      expectRejected(
        400,
        'spid_subject_confirmation',
        withFields({ recipient: 'https://evil.invalid/acs' }),
      ));

    it('a SubjectConfirmationData InResponseTo other than the request', () =>
      expectRejected(400, 'spid_subject_confirmation', withFields({ confirmationInResponseTo: '_another' })));

    it('a SubjectConfirmationData already expired', () =>
      expectRejected(
        400,
        'spid_subject_confirmation',
        withFields({ confirmationNotOnOrAfter: seconds(-120) }),
      ));

    it('Conditions not yet valid beyond the clock skew', () =>
      expectRejected(400, 'spid_conditions', withFields({ notBefore: seconds(120) })));

    it('Conditions expired beyond the clock skew', () =>
      expectRejected(400, 'spid_conditions', withFields({ notOnOrAfter: seconds(-120) })));

    it('an Audience other than our entityID', () =>
      expectRejected(400, 'spid_audience', withFields({ audience: 'https://another-sp.invalid' })));

    it('an AuthnContextClassRef lower than requested', () =>
      expectRejected(403, 'spid_authn_context', withFields({ level: 1 }), { level: 2 }));

    it('an unknown AuthnContextClassRef', () =>
      expectRejected(
        403,
        'spid_authn_context',
        withFields({ authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password' }),
      ));

    it('a Response missing a requested attribute', () =>
      expectRejected(400, 'spid_attributes', ({ id }) => {
        const attributes: Record<string, string> = { ...signedAttributes() };
        delete attributes.dateOfBirth;
        return signedResponse(gateway, idp, id, { attributes });
      }));

    it('an invalid fiscal code', () =>
      expectRejected(400, 'spid_fiscal_code', ({ id }) =>
        signedResponse(gateway, idp, id, {
          attributes: { ...signedAttributes(), fiscalNumber: 'TINIT-RSSMRA80A01G999A' },
        }),
      ));

    it('an IdP error status, mapped to the AgID message', async () => {
      const started = await startLogin(request.agent(gateway.app), idp, 2);
      const xml = signedResponse(gateway, idp, started.id, {
        failure: { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder', message: 'ErrorCode nr22' },
      });
      const res = await request(gateway.app)
        .post('/spid/acs')
        .set('Cookie', started.cookie)
        .set('Accept', 'text/html')
        .type('form')
        .send({ SAMLResponse: base64(xml), RelayState: started.relayState })
        .expect(401);
      expect(res.text).to.contain('Hai negato il consenso');
      expect(cheerio.load(res.text)('h1').text()).to.equal("Non hai autorizzato l'invio dei dati");
      expect(res.text).to.match(
        /<a class="btn btn-primary me-2" href="\/login\?retry=1">Riprova ad accedere<\/a>/,
      );
      expect(res.headers['set-cookie']).to.equal(undefined);
    });

    it('a login the citizen cancelled, said in words with the status only in the small print', async () => {
      const started = await startLogin(request.agent(gateway.app), idp, 2);
      const xml = signedResponse(gateway, idp, started.id, {
        failure: { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder', message: 'ErrorCode nr25' },
      });
      const res = await request(gateway.app)
        .post('/spid/acs')
        .set('Cookie', started.cookie)
        .set('Accept', 'text/html')
        .type('form')
        .send({ SAMLResponse: base64(xml), RelayState: started.relayState })
        .expect(401);
      const $ = cheerio.load(res.text);
      expect($('h1').text()).to.equal("Hai annullato l'accesso");
      expect($('p.lead').text()).to.contain('nessun dato è stato inviato');
      expect($('main').text().indexOf('Errore 401')).to.be.greaterThan($('main').text().indexOf('Riprova'));
      expect($('.text-uppercase').text()).to.not.contain('401');
    });

    it('a body that is not a SAML Response', () =>
      expectRejected(400, 'spid_response_malformed', () => '<not-saml/>'));
  });

  describe('clock skew', () => {
    it('accepts Conditions that start within the configured skew (60 s)', async () => {
      const started = await startLogin(request.agent(gateway.app), idp, 2);
      const xml = signedResponse(gateway, idp, started.id, {
        notBefore: seconds(45),
        issueInstant: seconds(30),
      });
      await post(gateway, xml, started.relayState, started.cookie).expect(303);
      const [entry] = await gateway.deps.citizen.sessions.list(TEST_CITIZEN.fiscalCode);
      await gateway.deps.citizen.sessions.end(TEST_CITIZEN.fiscalCode, [entry!.sessionId]);
    });

    it('refuses Conditions that start just beyond it', () =>
      expectRejected(400, 'spid_conditions', withFields({ notBefore: seconds(75) })));
  });
});

describe('POST /spid/acs with no clock skew tolerated', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway({ ...MANY_LOGINS, spid: { clockSkewSeconds: 0 } });
    gateway.deps.spid.idps.add(idp.descriptor);
  });
  after(async () => {
    await gateway.close();
  });

  it('still accepts a Response issued in the same second as the request', async () => {
    const started = await startLogin(request.agent(gateway.app), idp, 2);
    await post(gateway, signedResponse(gateway, idp, started.id), started.relayState, started.cookie).expect(
      303,
    );
  });

  it('refuses Conditions that start in the next seconds', async () => {
    const started = await startLogin(request.agent(gateway.app), idp, 2);
    const xml = signedResponse(gateway, idp, started.id, { notBefore: samlInstant(Date.now() + 2000) });
    const res = await post(gateway, xml, started.relayState, started.cookie).expect(400);
    expect(JSON.parse(res.text).code).to.equal('spid_conditions');
  });
});

describe('POST /spid/acs replay across instances', () => {
  let first: TestGateway;
  let second: TestGateway;
  before(async () => {
    const config = testConfig(MANY_LOGINS);
    first = await createTestGateway({}, config);
    second = await createTestGateway({}, config);
    for (const g of [first, second]) g.deps.spid.idps.add(idp.descriptor);
  });
  after(async () => {
    await first.close();
    await second.close();
  });

  it('accepts a Response on one instance and refuses it on the other', async () => {
    const started = await startLogin(request.agent(first.app), idp);
    const xml = signedResponse(first, idp, started.id);
    await post(second, xml, started.relayState, started.cookie).expect(303);
    const sessions = await sessionCount(first);
    // Replayed by whoever copied it (another browser): refused.
    const other = await startLogin(request.agent(first.app), idp);
    const replay = await post(first, xml, started.relayState, other.cookie).expect(400);
    expect(JSON.parse(replay.text).code).to.equal('spid_unknown_request');
    // Posted again by the browser it logged in (the IdP page's "Continue"): sent on, nobody logged in again.
    const again = await post(first, xml, started.relayState, started.cookie).expect(303);
    expect(again.headers['set-cookie']).to.equal(undefined);
    expect(await sessionCount(first)).to.equal(sessions);
  });

  it('lets exactly one of two simultaneous deliveries through', async () => {
    const started = await startLogin(request.agent(first.app), idp);
    const xml = signedResponse(first, idp, started.id);
    const sessions = await sessionCount(first);
    const results = await Promise.all([
      post(first, xml, started.relayState, started.cookie),
      post(second, xml, started.relayState, started.cookie),
    ]);
    // The other one is refused, or (when the first has finished) sent on as a repeat without a session.
    const logins = results.filter((r) => r.headers['set-cookie'] !== undefined);
    expect(logins.map((r) => r.status)).to.deep.equal([303]);
    expect(results.map((r) => r.status)).to.satisfy((s: number[]) => s.every((x) => x === 303 || x === 400));
    expect(await sessionCount(first)).to.equal(sessions + 1);
  });
});

function signedAttributes(): Record<string, string> {
  return {
    spidCode: TEST_CITIZEN.spidCode,
    name: TEST_CITIZEN.name,
    familyName: TEST_CITIZEN.familyName,
    fiscalNumber: `TINIT-${TEST_CITIZEN.fiscalCode}`,
    dateOfBirth: TEST_CITIZEN.dateOfBirth,
    email: TEST_CITIZEN.email,
  };
}
