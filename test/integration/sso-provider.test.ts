import { expect } from 'chai';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import {
  TestBrowser,
  authorizationRequest,
  consentForm,
  discoverClient,
  registerSsoService,
  startSsoGateway,
  type SsoGateway,
} from '../helpers/sso.ts';

const CITIZEN = 'RSSMRA80A01H501U';
const RP = 'http://127.0.0.1:9';

describe('the gateway as OpenID Provider, with openid-client as the relying party', () => {
  let op: SsoGateway;
  let secret: string;
  let keyClient: { privateKey: CryptoKey; kid: string };

  before(async () => {
    op = await startSsoGateway();
    secret = (await registerSsoService(op.gateway, {
      body: 'comune_alfa',
      service: 'alfa-certificati',
      rpOrigin: RP,
      auth: { method: 'client_secret_basic' },
      claims: ['fiscal_number', 'family_name'],
    }))!;
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'beta-key-1', alg: 'ES256', use: 'sig' };
    keyClient = { privateKey, kid: 'beta-key-1' };
    await registerSsoService(op.gateway, {
      body: 'asl_beta',
      service: 'beta-prenotazioni',
      rpOrigin: RP,
      auth: { method: 'private_key_jwt', jwks: { keys: [jwk] } },
      claims: ['given_name'],
    });
  });
  after(async () => {
    await op.close();
  });

  it('publishes discovery at the root with the endpoints under /op', async () => {
    const response = await fetch(`${op.url}/.well-known/openid-configuration`);
    expect(response.status).to.equal(200);
    const doc = (await response.json()) as Record<string, unknown>;
    expect(doc.issuer).to.equal(op.url);
    expect(doc.authorization_endpoint).to.equal(`${op.url}/op/auth`);
    expect(doc.token_endpoint).to.equal(`${op.url}/op/token`);
    expect(doc.jwks_uri).to.equal(`${op.url}/op/jwks`);
    expect(doc.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(doc.subject_types_supported).to.deep.equal(['pairwise']);
  });

  it('runs authorization code + PKCE with consent; the id_token verifies against /op/jwks', async () => {
    const config = await discoverClient(op.url, 'alfa-certificati', { secret });
    const redirectUri = `${RP}/alfa-certificati/callback`;
    const browser = new TestBrowser(op.url);
    await browser.login(CITIZEN, 2);
    const start = await authorizationRequest(config, redirectUri, { scope: 'openid profile' });

    const toConsent = await browser.follow(start.url.href);
    expect(toConsent.response.status).to.equal(200);
    expect(toConsent.url.pathname).to.match(/^\/sso\/interaction\//);
    const html = await toConsent.response.text();
    const form = consentForm(html);
    expect(form.claims).to.deep.equal(['fiscal_number', 'family_name']);
    expect(html).to.contain('Rossi').and.to.contain('RSSMRA80A01H501U');

    const decided = await browser.post(form.action, { _csrf: form.csrf, decision: 'allow' });
    expect(decided.status).to.be.oneOf([302, 303]);
    const back = await browser.follow(decided.headers.get('location')!);
    expect(back.left?.origin).to.equal(RP);
    expect(back.left?.searchParams.get('code')).to.be.a('string');

    const tokens = await oidc.authorizationCodeGrant(config, back.left!, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    const jwks = createRemoteJWKSet(new URL(`${op.url}/op/jwks`));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, {
      issuer: op.url,
      audience: 'alfa-certificati',
    });
    expect(payload.acr).to.equal('https://www.spid.gov.it/SpidL2');
    expect(payload.fiscal_number).to.equal(`TINIT-${CITIZEN}`);
    expect(payload.family_name).to.equal('Rossi');
    expect(payload.given_name, 'not declared by the service').to.equal(undefined);
    expect(payload.sub).to.be.a('string').and.not.equal(CITIZEN);
    expect(payload.auth_time).to.be.a('number');
    expect(payload.amr).to.deep.equal(['spid']);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, String(payload.sub));
    expect(info.fiscal_number).to.equal(`TINIT-${CITIZEN}`);
    expect(info.given_name).to.equal(undefined);
  });

  it('refuses a code used twice and revokes what the first use gave (RFC 6749 4.1.2)', async () => {
    const config = await discoverClient(op.url, 'alfa-certificati', { secret });
    const browser = new TestBrowser(op.url);
    await browser.login(CITIZEN, 2);
    const start = await authorizationRequest(config, `${RP}/alfa-certificati/callback`);
    const step = await browser.follow(start.url.href);
    const form = step.left ? undefined : consentForm(await step.response.text());
    const back = form
      ? await browser.follow(
          (await browser.post(form.action, { _csrf: form.csrf, decision: 'allow' })).headers.get('location')!,
        )
      : step;
    const checks = {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    };
    const tokens = await oidc.authorizationCodeGrant(config, back.left!, checks);
    let replay: unknown;
    await oidc.authorizationCodeGrant(config, back.left!, checks).catch((error: unknown) => (replay = error));
    expect((replay as { error?: string }).error).to.equal('invalid_grant');
    const info = await fetch(`${op.url}/op/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(info.status).to.equal(401);
  });

  it('refuses requests without PKCE S256 and other response types', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login(CITIZEN, 2);
    const base = {
      client_id: 'alfa-certificati',
      redirect_uri: `${RP}/alfa-certificati/callback`,
      response_type: 'code',
      scope: 'openid',
      state: 'st',
    };
    const challenge = {
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    };
    for (const [params, error] of [
      [base, 'invalid_request'],
      [
        { ...base, code_challenge: challenge.code_challenge, code_challenge_method: 'plain' },
        'invalid_request',
      ],
      [{ ...base, ...challenge, response_type: 'token' }, 'unsupported_response_type'],
      [{ ...base, ...challenge, response_type: 'code id_token' }, 'unsupported_response_type'],
    ] as const) {
      const response = await browser.request(`/op/auth?${new URLSearchParams(params).toString()}`);
      const location = new URL(response.headers.get('location') ?? '', op.url);
      expect(location.origin, JSON.stringify(params)).to.equal(RP);
      // Errors of a token response type come in the fragment, as that response mode would carry them.
      const answer = location.hash ? new URLSearchParams(location.hash.slice(1)) : location.searchParams;
      expect(answer.get('error'), JSON.stringify(params)).to.equal(error);
      expect(answer.get('code')).to.equal(null);
    }
  });

  it('authenticates a private_key_jwt client', async () => {
    const config = await discoverClient(op.url, 'beta-prenotazioni', keyClient);
    const browser = new TestBrowser(op.url);
    await browser.login(CITIZEN, 2);
    const start = await authorizationRequest(config, `${RP}/beta-prenotazioni/callback`);
    const consent = await browser.follow(start.url.href);
    const form = consentForm(await consent.response.text());
    const decided = await browser.post(form.action, { _csrf: form.csrf, decision: 'allow' });
    const back = await browser.follow(decided.headers.get('location')!);
    const tokens = await oidc.authorizationCodeGrant(config, back.left!, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    expect(tokens.claims()?.given_name).to.equal('Mario');
    expect(tokens.claims()?.fiscal_number).to.equal(undefined);
  });
});

describe('the authorization endpoint under load from one address', () => {
  it("answers 429 past the provider's browser rate limit, counted in Redis", async () => {
    const op = await startSsoGateway({ rateLimit: { ssoAuth: { windowSeconds: 60, max: 2 } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${op.url}/op/auth?client_id=x`)).status);
      expect(statuses).to.deep.equal([400, 400, 429]);
    } finally {
      await op.close();
    }
  });
});
