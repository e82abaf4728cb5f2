import { expect } from 'chai';
import { registerSsoService, startSsoGateway, TestBrowser, type SsoGateway } from '../helpers/sso.ts';

const RP = 'http://127.0.0.1:9';

describe('/go/:serviceId for a single-sign-on service', () => {
  let op: SsoGateway;
  before(async () => {
    op = await startSsoGateway();
    for (const [service, initiateLogin] of [
      ['go-with-start', true],
      ['go-without-start', false],
    ] as const) {
      await registerSsoService(op.gateway, {
        body: 'comune_go',
        service,
        rpOrigin: RP,
        auth: { method: 'client_secret_basic' },
        initiateLogin,
      });
    }
  });
  after(async () => {
    await op.close();
  });

  it("goes through the service's login start with the issuer and the deep link as target", async () => {
    const browser = new TestBrowser(op.url);
    await browser.login('RSSMRA80A01H501U', 2);
    const response = await browser.request('/go/go-with-start');
    expect(response.status).to.equal(303);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).to.equal(`${RP}/go-with-start/login`);
    expect(location.searchParams.get('iss')).to.equal(op.url);
    expect(location.searchParams.get('target_link_uri')).to.equal('https://comune-go.example.it/servizio');
  });

  it('steps up first when the session is below the service level', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login('RSSMRA80A01H501U', 1);
    const response = await browser.request('/go/go-with-start');
    expect(response.status).to.equal(303);
    const location = new URL(response.headers.get('location')!, op.url);
    expect(location.origin).to.equal(op.url);
    expect(location.pathname).to.equal('/spid/login');
    expect(location.searchParams.get('level')).to.equal('2');
  });

  it('goes to the deep link when the service registered no login start', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login('RSSMRA80A01H501U', 2);
    const response = await browser.request('/go/go-without-start');
    expect(response.headers.get('location')).to.equal('https://comune-go.example.it/servizio');
  });
});
