import { expect } from 'chai';
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

describe('single-use artifacts of the provider (codes, pushed requests) under concurrent use', () => {
  let op: SsoGateway;
  let config: oidc.Configuration;
  let secret: string;
  let browser: TestBrowser;

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
});
