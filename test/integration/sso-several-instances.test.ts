import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { createApp } from '../../src/app.ts';
import { createTestGateway, testConfig, testLoginRoutes, type TestGateway } from '../helpers/gateway.ts';
import { discoverClient, enterService, registerSsoService, sparePort, TestBrowser } from '../helpers/sso.ts';

describe('single sign-on across two gateway instances on one Redis', () => {
  let instances: TestGateway[];
  let server: Server;
  let url: string;
  const served: number[] = [0, 0];

  before(async () => {
    const port = await sparePort();
    url = `http://127.0.0.1:${port}`;
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const key = { ...(await exportJWK(privateKey)), kid: 'shared', alg: 'RS256', use: 'sig' };
    // One configuration (prefix, secrets, keys, salt): what two instances of one deployment share.
    const config = testConfig({
      http: { publicUrl: url },
      sso: {
        signingKeys: JSON.stringify({ keys: [key] }),
        pairwiseSalt: 'test-only-pairwise-salt-0123456789abcdef',
      },
    });
    instances = [await createTestGateway({}, config), await createTestGateway({}, config)];
    const apps = instances.map((gw) => createApp(gw.deps, [testLoginRoutes(gw.deps)]));
    // A round-robin balancer: consecutive requests of one flow land on different instances.
    let next = 0;
    server = createServer((req, res) => {
      const index = next++ % 2;
      served[index]!++;
      apps[index]!(req, res);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await instances[1]!.redis.close();
    await instances[0]!.close();
  });

  it('serves discovery, login, consent, code, token and userinfo whichever instance each step reaches', async () => {
    const secret = await registerSsoService(instances[0]!, {
      body: 'comune_multi',
      service: 'multi-anagrafe',
      rpOrigin: 'http://127.0.0.1:9',
      auth: { method: 'client_secret_basic' },
      claims: ['fiscal_number'],
    });
    const config = await discoverClient(url, 'multi-anagrafe', { secret: secret! });
    const browser = new TestBrowser(url);
    await browser.login('RSSMRA80A01H501U', 2);
    const entered = await enterService(browser, config, 'http://127.0.0.1:9/multi-anagrafe/callback');
    expect(entered.consentAsked).to.equal(true);
    expect(entered.claims.fiscal_number).to.equal('TINIT-RSSMRA80A01H501U');
    const again = await enterService(browser, config, 'http://127.0.0.1:9/multi-anagrafe/callback');
    expect(again.consentAsked).to.equal(false);
    expect(again.claims.sub).to.equal(entered.claims.sub);
    for (let i = 0; i < 2; i++) {
      const info = await oidc.fetchUserInfo(config, again.tokens.access_token, String(again.claims.sub));
      expect(info.fiscal_number).to.equal('TINIT-RSSMRA80A01H501U');
    }
    expect(served[0]).to.be.greaterThan(3);
    expect(served[1]).to.be.greaterThan(3);
  });
});
