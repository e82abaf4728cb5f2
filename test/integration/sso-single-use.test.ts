import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import {
  TestBrowser,
  authorizationRequest,
  discoverClient,
  enterService,
  registerSsoService,
  startSsoGateway,
  type SsoGateway,
} from '../helpers/sso.ts';

const RP = 'http://127.0.0.1:9';
const REDIRECT = `${RP}/once-anagrafe/callback`;
const KEY_REDIRECT = `${RP}/once-prenotazioni/callback`;

describe('single-use artifacts of the provider (codes, pushed requests, client assertions) under concurrent use', () => {
  let op: SsoGateway;
  let config: oidc.Configuration;
  let secret: string;
  let browser: TestBrowser;
  let keyConfig: oidc.Configuration;
  let clientKey: CryptoKey;

  before(async () => {
    op = await startSsoGateway();
    secret = (await registerSsoService(op.gateway, {
      body: 'comune_once',
      service: 'once-anagrafe',
      rpOrigin: RP,
      auth: { method: 'client_secret_basic' },
      claims: ['fiscal_number'],
    }))!;
    config = await discoverClient(op.url, 'once-anagrafe', { secret });
    browser = new TestBrowser(op.url);
    await browser.login('RSSMRA80A01H501U', 2);
    await enterService(browser, config, REDIRECT); // consent given
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    clientKey = privateKey;
    const jwk = { ...(await exportJWK(publicKey)), kid: 'once-key-1', alg: 'ES256', use: 'sig' };
    await registerSsoService(op.gateway, {
      body: 'comune_once',
      service: 'once-prenotazioni',
      rpOrigin: RP,
      auth: { method: 'private_key_jwt', jwks: { keys: [jwk] } },
      claims: ['fiscal_number'],
    });
    keyConfig = await discoverClient(op.url, 'once-prenotazioni', { privateKey, kid: 'once-key-1' });
    await enterService(browser, keyConfig, KEY_REDIRECT); // consent given
  });
  after(async () => {
    await op.close();
  });

  it('redeems a code once when the same code arrives several times at once (RFC 6749 4.1.2)', async () => {
    for (let round = 0; round < 3; round++) {
      const start = await authorizationRequest(config, REDIRECT);
      const step = await browser.follow(start.url.href);
      const code = step.left!.searchParams.get('code')!;
      const exchange = () =>
        fetch(`${op.url}/op/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`once-anagrafe:${secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: REDIRECT,
            code_verifier: start.verifier,
          }).toString(),
        });
      const answers = await Promise.all([exchange(), exchange(), exchange(), exchange()]);
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, `round ${round}`).to.deep.equal([200, 400, 400, 400]);
      for (const refused of answers.filter((a) => a.status === 400))
        expect(((await refused.json()) as { error: string }).error).to.equal('invalid_grant');
    }
  });

  it('serves a pushed authorization request (PAR, RFC 9126) once', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    expect(url.searchParams.get('request_uri')).to.match(/^urn:ietf:params:oauth:request_uri:/);
    const step = await browser.follow(url.href);
    expect(step.left?.origin).to.equal(RP);
    const tokens = await oidc.authorizationCodeGrant(config, step.left!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()?.fiscal_number).to.equal('TINIT-RSSMRA80A01H501U');

    const again = await browser.follow(url.href);
    expect(again.left).to.equal(undefined);
    expect(again.response.status).to.equal(400);
    expect(await again.response.text()).to.contain('invalid_request_uri');
  });

  it('accepts a private_key_jwt client assertion once when it arrives several times at once (RFC 7523 3)', async () => {
    for (let round = 0; round < 3; round++) {
      // Each request redeems a code of its own, so only the assertion they share can refuse them.
      const flows = [];
      for (let i = 0; i < 4; i++) {
        const start = await authorizationRequest(keyConfig, KEY_REDIRECT);
        const step = await browser.follow(start.url.href);
        flows.push({ code: step.left!.searchParams.get('code')!, verifier: start.verifier });
      }
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'once-key-1' })
        .setIssuer('once-prenotazioni')
        .setSubject('once-prenotazioni')
        .setAudience(op.url)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(clientKey);
      const exchange = (flow: { code: string; verifier: string }) =>
        fetch(`${op.url}/op/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: flow.code,
            redirect_uri: KEY_REDIRECT,
            code_verifier: flow.verifier,
            client_id: 'once-prenotazioni',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
          }).toString(),
        });
      const answers = await Promise.all(flows.map(exchange));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, `round ${round}`).to.deep.equal([200, 401, 401, 401]);
      for (const refused of answers.filter((a) => a.status === 401))
        expect(((await refused.json()) as { error: string }).error).to.equal('invalid_client');
    }
  });
});
