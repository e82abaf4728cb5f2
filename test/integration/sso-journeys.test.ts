import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import * as cheerio from 'cheerio';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { csrfTokenFrom } from '../helpers/gateway.ts';
import { createTestIdp, TEST_CITIZEN } from '../helpers/saml.ts';
import {
  TestBrowser,
  authorizationRequest,
  consentForm,
  discoverClient,
  enterService,
  registerSsoService,
  startSsoGateway,
  type SsoGateway,
} from '../helpers/sso.ts';

const idp = createTestIdp();
const SYSTEM = { kind: 'system' as const, id: 'sso-test' };

/** A body's system listening for back-channel logout tokens on 127.0.0.1 (a real HTTP listener). */
async function startRelyingParty() {
  const logoutTokens: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.endsWith('/bcl')) {
        const token = new URLSearchParams(body).get('logout_token');
        if (token) logoutTokens.push(token);
        res.writeHead(200).end();
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    logoutTokens,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('single sign-on journeys (gateway as OpenID Provider)', () => {
  let op: SsoGateway;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  const configs: Record<string, oidc.Configuration> = {};
  const redirect = (service: string) => `${rp.origin}/${service}/callback`;

  async function client(service: string, claims: string[], extra: object = {}) {
    const secret = await registerSsoService(op.gateway, {
      service,
      rpOrigin: rp.origin,
      auth: { method: 'client_secret_basic' },
      claims,
      backchannel: true,
      body: 'comune_alfa',
      ...extra,
    });
    configs[service] = await discoverClient(op.url, service, { secret: secret! });
    return configs[service];
  }

  before(async () => {
    rp = await startRelyingParty();
    op = await startSsoGateway({ rateLimit: { login: { windowSeconds: 60, max: 10_000 } } });
    op.gateway.deps.spid.idps.add(idp.descriptor);
    await client('alfa-anagrafe', ['fiscal_number', 'given_name', 'family_name']);
    await client('alfa-tributi', ['fiscal_number']);
    await client('beta-prenotazioni', ['given_name'], { body: 'asl_beta' });
    await client('gamma-l2', [], { body: 'comune_gamma', requiredLevel: 'L2' });
    await client('delta-sospeso', ['given_name'], { body: 'ente_delta' });
  });
  after(async () => {
    await op.close();
    await rp.close();
  });

  it('lets a citizen who logged in once enter two bodies’ services, each with a valid id_token', async () => {
    const browser = new TestBrowser(op.url);
    const login = await browser.spidLogin(op.gateway, idp, 2);
    expect(login.response.status).to.equal(200);
    const jwks = createRemoteJWKSet(new URL(`${op.url}/op/jwks`));

    // Any trip to an identity provider would end `follow` at the IdP, and enterService would throw.
    const alfa = await enterService(browser, configs['alfa-anagrafe']!, redirect('alfa-anagrafe'));
    const beta = await enterService(browser, configs['beta-prenotazioni']!, redirect('beta-prenotazioni'));
    for (const [entered, audience] of [
      [alfa, 'alfa-anagrafe'],
      [beta, 'beta-prenotazioni'],
    ] as const) {
      expect(entered.consentAsked).to.equal(true);
      const { payload } = await jwtVerify(entered.tokens.id_token!, jwks, { issuer: op.url, audience });
      expect(payload.acr).to.equal('https://www.spid.gov.it/SpidL2');
    }
    expect(alfa.claims.fiscal_number).to.equal(`TINIT-${TEST_CITIZEN.fiscalCode}`);
    expect(beta.claims.given_name).to.equal(TEST_CITIZEN.name);

    // Pairwise: the two bodies see different subjects; two services of one body see the same.
    expect(alfa.claims.sub).to.not.equal(beta.claims.sub);
    const tributi = await enterService(browser, configs['alfa-tributi']!, redirect('alfa-tributi'));
    expect(tributi.claims.sub).to.equal(alfa.claims.sub);
    for (const sub of [alfa.claims.sub, beta.claims.sub]) expect(sub).to.not.contain(TEST_CITIZEN.fiscalCode);

    // The second time, the remembered consent stands: no page.
    const again = await enterService(browser, configs['alfa-anagrafe']!, redirect('alfa-anagrafe'));
    expect(again.consentAsked).to.equal(false);
  });

  it('sends a citizen without a session to log in, then back into the flow', async () => {
    const browser = new TestBrowser(op.url);
    const start = await authorizationRequest(configs['alfa-tributi']!, redirect('alfa-tributi'));
    const toLogin = await browser.follow(start.url.href);
    expect(toLogin.url.pathname).to.equal('/login');
    expect(toLogin.response.status).to.equal(200);
    const afterLogin = await browser.spidLogin(op.gateway, idp, 2);
    // Straight back to the service, or through the consent page when this citizen has not agreed yet.
    let back = afterLogin;
    if (!afterLogin.left) {
      expect(afterLogin.url.pathname).to.match(/^\/sso\/interaction\//);
      const form = consentForm(await afterLogin.response.text());
      const decided = await browser.post(form.action, { _csrf: form.csrf, decision: 'allow' });
      back = await browser.follow(decided.headers.get('location')!);
    }
    const tokens = await oidc.authorizationCodeGrant(configs['alfa-tributi']!, back.left!, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    expect(tokens.claims()?.fiscal_number).to.equal(`TINIT-${TEST_CITIZEN.fiscalCode}`);
  });

  it('steps an L1 session up to SPID L2 for an L2 service, then goes on', async () => {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 1);
    const start = await authorizationRequest(configs['gamma-l2']!, redirect('gamma-l2'));
    const toIdp = await browser.follow(start.url.href);
    expect(toIdp.left?.href.startsWith(idp.descriptor.ssoRedirect)).to.equal(true);
    expect(toIdp.url.pathname).to.equal('/spid/login');
    expect(toIdp.url.searchParams.get('level')).to.equal('2');

    const consent = await browser.answerSpid(op.gateway, idp, toIdp.left!, 2);
    expect(consent.url.pathname).to.match(/^\/sso\/interaction\//);
    const html = await consent.response.text();
    const form = cheerio.load(html)('form[action*="/consent"]');
    const decided = await browser.post(String(form.attr('action')), {
      _csrf: String(form.find('input[name="_csrf"]').val()),
      decision: 'allow',
    });
    const back = await browser.follow(decided.headers.get('location')!);
    const tokens = await oidc.authorizationCodeGrant(configs['gamma-l2']!, back.left!, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    expect(tokens.claims()?.acr).to.equal('https://www.spid.gov.it/SpidL2');
  });

  it('steps up when the client asks for a higher acr than the service needs', async () => {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 2);
    const start = await authorizationRequest(configs['alfa-tributi']!, redirect('alfa-tributi'), {
      acr_values: 'https://www.spid.gov.it/SpidL3',
    });
    const toIdp = await browser.follow(start.url.href);
    expect(toIdp.url.searchParams.get('level')).to.equal('3');
    expect(toIdp.left?.href.startsWith(idp.descriptor.ssoRedirect)).to.equal(true);
  });

  it('asks for consent again once the citizen revoked it, and the old tokens stop working', async () => {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 2);
    const first = await enterService(browser, configs['alfa-tributi']!, redirect('alfa-tributi'));
    const remembered = await enterService(browser, configs['alfa-tributi']!, redirect('alfa-tributi'));
    expect(remembered.consentAsked).to.equal(false);

    const me = await browser.request('/me');
    const page = cheerio.load(await me.text());
    const revoke = page('form[action="/me/consents/alfa-tributi/revoke"]');
    expect(revoke.length).to.equal(1);
    const revoked = await browser.post('/me/consents/alfa-tributi/revoke', {
      _csrf: String(revoke.find('input[name="_csrf"]').val()),
    });
    expect(revoked.status).to.equal(303);
    const after = cheerio.load(await (await browser.request('/me')).text());
    expect(after('form[action="/me/consents/alfa-tributi/revoke"]').length).to.equal(0);

    let refused: unknown;
    await oidc
      .fetchUserInfo(configs['alfa-tributi']!, first.tokens.access_token, String(first.claims.sub))
      .catch((error: unknown) => (refused = error));
    expect(refused, 'the access token of a revoked consent').to.be.instanceOf(Error);

    const asked = await enterService(browser, configs['alfa-tributi']!, redirect('alfa-tributi'));
    expect(asked.consentAsked).to.equal(true);
  });

  it('sends access_denied to the service when the citizen declines, and remembers nothing', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login('FRNLCU90A01G999Z', 2);
    const start = await authorizationRequest(configs['beta-prenotazioni']!, redirect('beta-prenotazioni'));
    const page = await browser.follow(start.url.href);
    const form = consentForm(await page.response.text());
    const declined = await browser.post(form.action, { _csrf: form.csrf, decision: 'deny' });
    const back = await browser.follow(declined.headers.get('location')!);
    expect(back.left?.searchParams.get('error')).to.equal('access_denied');
    expect(back.left?.searchParams.get('code')).to.equal(null);
    expect(await op.gateway.deps.sso.consents.list('FRNLCU90A01G999Z')).to.deep.equal([]);
    expect(await op.gateway.deps.sso.history.list('FRNLCU90A01G999Z')).to.deep.equal([]);
  });

  it('refuses forged or foreign consent decisions and unknown interactions', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login('FRNLCU90A01G999Z', 2);
    const start = await authorizationRequest(configs['alfa-tributi']!, redirect('alfa-tributi'));
    const page = await browser.follow(start.url.href);
    const form = consentForm(await page.response.text());
    expect((await browser.post(form.action, { decision: 'allow' })).status, 'no CSRF token').to.equal(403);
    expect((await browser.post(form.action, { _csrf: form.csrf, decision: 'maybe' })).status).to.equal(400);
    expect(
      (await browser.post(form.action, { _csrf: form.csrf, decision: 'allow', x: '1' })).status,
    ).to.equal(400);
    for (const uid of ['nope', 'a'.repeat(200), '..%2F..%2Fop']) {
      const response = await browser.request(`/sso/interaction/${uid}`);
      expect(response.status, uid).to.equal(400);
    }
    // Another citizen, with their own session, cannot answer this citizen's interaction.
    const other = new TestBrowser(op.url);
    await other.login('RSSMRA80A01H501U', 2);
    const otherCsrf = csrfTokenFrom(await (await other.request('/me')).text());
    const foreign = await other.post(form.action, { _csrf: otherCsrf, decision: 'allow' });
    expect(foreign.status).to.be.oneOf([400, 403]);
    expect(await op.gateway.deps.sso.consents.get('FRNLCU90A01G999Z', 'alfa-tributi')).to.equal(undefined);
  });

  it('asks again when the service declares more data than the citizen agreed to', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login('BNCLRA85M41G999K', 2);
    const first = await enterService(browser, configs['alfa-tributi']!, redirect('alfa-tributi'));
    expect(first.claims.email).to.equal(undefined);
    await client('alfa-tributi', ['fiscal_number', 'email']);
    const asked = await enterService(browser, configs['alfa-tributi']!, redirect('alfa-tributi'));
    expect(asked.consentAsked).to.equal(true);
    expect(asked.claims.email).to.equal(undefined, 'the test citizen has no email');
    expect(
      (await op.gateway.deps.sso.consents.get('BNCLRA85M41G999K', 'alfa-tributi'))?.claims,
    ).to.deep.equal(['fiscal_number', 'email']);
    await client('alfa-tributi', ['fiscal_number']);
  });

  it('withholds every claim the service did not declare, whatever the client asks for', async () => {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 2);
    const entered = await enterService(
      browser,
      configs['beta-prenotazioni']!,
      redirect('beta-prenotazioni'),
      {
        scope: 'openid profile email fiscal_number',
        claims: JSON.stringify({
          id_token: { fiscal_number: { essential: true }, email: null, family_name: null },
          userinfo: { fiscal_number: { essential: true }, birthdate: null },
        }),
      },
    );
    const released = ['given_name', 'sub', 'acr', 'amr', 'auth_time'];
    for (const claim of ['fiscal_number', 'email', 'family_name', 'birthdate'])
      expect(entered.claims, claim).to.not.have.property(claim);
    expect(entered.claims.given_name).to.equal(TEST_CITIZEN.name);
    const info = await oidc.fetchUserInfo(
      configs['beta-prenotazioni']!,
      entered.tokens.access_token,
      String(entered.claims.sub),
    );
    expect(Object.keys(info).filter((claim) => !released.includes(claim))).to.deep.equal([]);

    const history = await op.gateway.deps.sso.history.list(TEST_CITIZEN.fiscalCode, 2);
    for (const entry of history) {
      expect(entry.serviceId).to.equal('beta-prenotazioni');
      expect(entry.claims).to.not.include('fiscal_number').and.not.include('email');
    }
  });

  it('delivers back-channel logout to every service entered in the session when the citizen logs out', async () => {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 2);
    const alfa = await enterService(browser, configs['alfa-anagrafe']!, redirect('alfa-anagrafe'));
    const beta = await enterService(browser, configs['beta-prenotazioni']!, redirect('beta-prenotazioni'));
    rp.logoutTokens.length = 0;

    const csrf = csrfTokenFrom(await (await browser.request('/me')).text());
    // A SPID login: the answer is the page that sends the browser on to the IdP's Single Logout.
    const out = await browser.post('/logout', { _csrf: csrf });
    expect(out.status).to.equal(200);

    const jwks = createRemoteJWKSet(new URL(`${op.url}/op/jwks`));
    const received = await Promise.all(
      rp.logoutTokens.map(async (token) => (await jwtVerify(token, jwks, { issuer: op.url })).payload),
    );
    const byAudience = Object.fromEntries(received.map((p) => [String(p.aud), p]));
    expect(Object.keys(byAudience).sort()).to.deep.equal(['alfa-anagrafe', 'beta-prenotazioni']);
    for (const [entered, audience] of [
      [alfa, 'alfa-anagrafe'],
      [beta, 'beta-prenotazioni'],
    ] as const) {
      const token = byAudience[audience]!;
      expect(token.sub).to.equal(entered.claims.sub);
      expect(token.sid).to.equal(entered.claims.sid);
      expect(token.events).to.have.property('http://schemas.openid.net/event/backchannel-logout');
      expect(token).to.not.have.property('nonce');
    }

    // The provider's session ended with the gateway's: the next request needs a new login.
    const start = await authorizationRequest(configs['alfa-anagrafe']!, redirect('alfa-anagrafe'));
    const next = await browser.follow(start.url.href);
    expect(next.left).to.equal(undefined);
    expect(next.url.pathname).to.equal('/login');
  });

  it('tells the services entered before a step-up too, when the citizen logs out', async () => {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 2);
    const before = await enterService(browser, configs['beta-prenotazioni']!, redirect('beta-prenotazioni'));
    // Entering the L3-only request steps the session up (a new gateway session id).
    const start = await authorizationRequest(configs['alfa-anagrafe']!, redirect('alfa-anagrafe'), {
      acr_values: 'https://www.spid.gov.it/SpidL3',
    });
    const toIdp = await browser.follow(start.url.href);
    let step = await browser.answerSpid(op.gateway, idp, toIdp.left!, 3);
    if (!step.left) {
      const form = consentForm(await step.response.text());
      step = await browser.follow(
        (await browser.post(form.action, { _csrf: form.csrf, decision: 'allow' })).headers.get('location')!,
      );
    }
    const after = await oidc.authorizationCodeGrant(configs['alfa-anagrafe']!, step.left!, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    rp.logoutTokens.length = 0;
    const csrf = csrfTokenFrom(await (await browser.request('/me')).text());
    expect((await browser.post('/logout', { _csrf: csrf })).status).to.equal(200); // on to the IdP's SLO
    const told = rp.logoutTokens.map(
      (t) =>
        JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { aud: string; sid: string },
    );
    expect(told.map((p) => p.aud).sort()).to.deep.equal(['alfa-anagrafe', 'beta-prenotazioni']);
    expect(told.find((p) => p.aud === 'beta-prenotazioni')?.sid).to.equal(before.claims.sid);
    expect(told.find((p) => p.aud === 'alfa-anagrafe')?.sid).to.equal(after.claims()?.sid);
  });

  it('completes the logout when a service cannot be reached, and still tells the others', async () => {
    await client('epsilon-giu', [], { body: 'ente_epsilon', rpOrigin: 'http://127.0.0.1:9' });
    const browser = new TestBrowser(op.url);
    await browser.login('FRNLCU90A01G999Z', 2);
    const down = await enterService(
      browser,
      configs['epsilon-giu']!,
      'http://127.0.0.1:9/epsilon-giu/callback',
    );
    const up = await enterService(browser, configs['beta-prenotazioni']!, redirect('beta-prenotazioni'));
    expect(down.claims.sid).to.be.a('string');
    rp.logoutTokens.length = 0;
    const csrf = csrfTokenFrom(await (await browser.request('/me')).text());
    expect((await browser.post('/logout', { _csrf: csrf })).status).to.equal(303);
    expect((await browser.request('/me')).status).to.equal(303);
    const audiences = rp.logoutTokens.map((t) =>
      JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()),
    );
    expect(audiences.map((p: { aud: string; sid: string }) => [p.aud, p.sid])).to.deep.equal([
      ['beta-prenotazioni', up.claims.sid],
    ]);
  });

  it('rejects an unknown or tampered redirect_uri without redirecting to it', async () => {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 2);
    for (const uri of [
      'https://evil.example/callback',
      `${redirect('alfa-anagrafe')}/../../evil`,
      `${redirect('alfa-anagrafe')}?next=https://evil.example`,
      `${redirect('alfa-anagrafe')}#x`,
      redirect('beta-prenotazioni'),
      redirect('alfa-anagrafe').replace('127.0.0.1', 'localhost'),
    ]) {
      const start = await authorizationRequest(configs['alfa-anagrafe']!, uri);
      const response = await browser.request(start.url.href);
      expect(response.status, uri).to.equal(400);
      expect(response.headers.get('location'), uri).to.equal(null);
      expect(response.headers.get('content-type')).to.match(/^text\/html/);
    }
    const unknown = new URL(`${op.url}/op/auth`);
    unknown.search = new URLSearchParams({
      client_id: 'no-such-service',
      redirect_uri: 'https://evil.example/cb',
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    }).toString();
    const response = await browser.request(unknown.href);
    expect(response.status).to.equal(400);
    expect(response.headers.get('location')).to.equal(null);
  });

  it('refuses the clients of a suspended body, and serves them again once it is approved', async () => {
    const browser = new TestBrowser(op.url);
    await browser.spidLogin(op.gateway, idp, 2);
    const config = configs['delta-sospeso']!;
    await enterService(browser, config, redirect('delta-sospeso'));

    // A code issued before the suspension is not exchanged after it.
    const start = await authorizationRequest(config, redirect('delta-sospeso'));
    const back = await browser.follow(start.url.href);
    await op.gateway.deps.catalog.writer.setBodyStatus(SYSTEM, 'ente_delta', 'suspended');
    let refused: unknown;
    await oidc
      .authorizationCodeGrant(config, back.left!, {
        pkceCodeVerifier: start.verifier,
        expectedState: start.state,
      })
      .catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(Error);

    const blocked = await browser.request(
      (await authorizationRequest(config, redirect('delta-sospeso'))).url.href,
    );
    expect(blocked.status).to.equal(400);
    expect(blocked.headers.get('location')).to.equal(null);

    await op.gateway.deps.catalog.writer.setBodyStatus(SYSTEM, 'ente_delta', 'approved');
    const entered = await enterService(browser, config, redirect('delta-sospeso'));
    expect(entered.claims.given_name).to.equal(TEST_CITIZEN.name);
  });
});

describe('signing key rollover', () => {
  it('publishes the old and the new key during a rollover and signs with the first', async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const keys = await Promise.all(
      ['new-2026', 'old-2025'].map(async (kid) => {
        const { privateKey } = await generateKeyPair('RS256', { extractable: true });
        return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
      }),
    );
    const op = await startSsoGateway({ sso: { signingKeys: JSON.stringify({ keys }) } });
    try {
      const jwks = (await (await fetch(`${op.url}/op/jwks`)).json()) as {
        keys: Array<Record<string, unknown>>;
      };
      expect(jwks.keys.map((k) => k.kid)).to.include.members(['new-2026', 'old-2025']);
      for (const key of jwks.keys)
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).to.not.have.property(secret);

      const secret = await registerSsoService(op.gateway, {
        body: 'comune_alfa',
        service: 'alfa-chiavi',
        rpOrigin: 'http://127.0.0.1:9',
        auth: { method: 'client_secret_basic' },
      });
      const config = await discoverClient(op.url, 'alfa-chiavi', { secret: secret! });
      const browser = new TestBrowser(op.url);
      await browser.login('RSSMRA80A01H501U', 2);
      const entered = await enterService(browser, config, 'http://127.0.0.1:9/alfa-chiavi/callback');
      expect(decodeProtectedHeader(entered.tokens.id_token!).kid).to.equal('new-2026');
    } finally {
      await op.close();
    }
  });
});
