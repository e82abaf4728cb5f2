import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import * as cheerio from 'cheerio';
import type * as oidc from 'openid-client';
import { csvField } from '../../src/sso/personal-area.controller.ts';
import {
  TestBrowser,
  discoverClient,
  enterService,
  registerSsoService,
  startSsoGateway,
  type SsoGateway,
} from '../helpers/sso.ts';

const CITIZEN = 'RSSMRA80A01H501U';

describe('the SSO part of the personal area', () => {
  let op: SsoGateway;
  let listener: Server;
  let rp: string;
  const logoutTokens: string[] = [];
  const configs: Record<string, oidc.Configuration> = {};
  const redirect = (service: string) => `${rp}/${service}/callback`;

  before(async () => {
    listener = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    rp = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    op = await startSsoGateway();
    for (const [service, body] of [
      ['pa-anagrafe', 'comune_pa'],
      ['pa-formula', 'ente_formula'],
    ] as const) {
      const secret = await registerSsoService(op.gateway, {
        body,
        service,
        rpOrigin: rp,
        auth: { method: 'client_secret_basic' },
        claims: ['fiscal_number'],
        backchannel: true,
      });
      configs[service] = await discoverClient(op.url, service, { secret: secret! });
    }
    // A hostile title: a spreadsheet would run it as a formula if the CSV carried it as is.
    const formula = (await op.gateway.deps.catalog.repository.getService('pa-formula'))!;
    await op.gateway.deps.catalog.writer.putService(
      { kind: 'system', id: 'sso-test' },
      'ente_formula',
      'pa-formula',
      {
        ...Object.fromEntries(
          Object.entries(formula).filter(([k]) => !['id', 'bodyId', 'status', 'updatedAt'].includes(k)),
        ),
        title: { it: '=HYPERLINK("https://evil.example","x")', en: '=HYPERLINK("https://evil.example","x")' },
      },
    );
  });
  after(async () => {
    await op.close();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  it('lists the consents and the releases of data, newest first, without the values', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login(CITIZEN, 2);
    await enterService(browser, configs['pa-anagrafe']!, redirect('pa-anagrafe'));
    await enterService(browser, configs['pa-formula']!, redirect('pa-formula'));

    const $ = cheerio.load(await (await browser.request('/me')).text());
    const consents = $('#consents li')
      .map((_, li) => $(li).find('strong').text())
      .get();
    expect(consents).to.have.length(2);
    expect(consents).to.include('Servizio pa-anagrafe');
    const rows = $('#access-history tbody tr');
    expect(rows.length).to.be.at.least(2);
    expect(rows.first().text()).to.contain('HYPERLINK');
    expect($('#access-history').text()).to.contain('Codice fiscale');
    expect($('#access-history').text()).to.not.contain(CITIZEN);
  });

  it('downloads the history as CSV with formulas neutralised', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login(CITIZEN, 2);
    const response = await browser.request('/me/access-history.csv');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^text\/csv/);
    expect(response.headers.get('content-disposition')).to.contain('attachment');
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).to.equal('"time","body_id","body","service_id","service","via","claims"');
    const formulaLine = lines.find((line) => line.includes('pa-formula'))!;
    expect(formulaLine).to.contain(`"'=HYPERLINK(""https://evil.example"",""x"")"`);
    for (const line of lines.slice(1)) {
      for (const field of line.split('","')) expect(field.replace(/^"/, '')).to.not.match(/^[=+\-@]/);
      expect(line).to.not.contain(CITIZEN);
    }
  });

  it('quotes and neutralises every CSV field', () => {
    expect(csvField('plain')).to.equal('"plain"');
    expect(csvField('a "quoted" word')).to.equal('"a ""quoted"" word"');
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvField(`${start}1+1`)).to.match(/^"'/);
  });

  it('needs a login for the CSV, and a CSRF token to revoke or to end the services', async () => {
    const anonymous = new TestBrowser(op.url);
    const csv = await anonymous.request('/me/access-history.csv');
    expect(csv.status).to.not.equal(200);
    const browser = new TestBrowser(op.url);
    await browser.login(CITIZEN, 2);
    expect((await browser.post('/me/consents/pa-anagrafe/revoke', {})).status).to.equal(403);
    expect((await browser.post('/me/services/end-all', { _csrf: 'forged' })).status).to.equal(403);
    const consents = await op.gateway.deps.sso.consents.list(CITIZEN);
    expect(consents.map((c) => c.serviceId)).to.include('pa-anagrafe');
  });

  it('answers 404 when revoking a consent that does not exist', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login(CITIZEN, 2);
    const csrf = String(
      cheerio
        .load(await (await browser.request('/me')).text())(
          'form[action="/me/services/end-all"] input[name="_csrf"]',
        )
        .val(),
    );
    for (const id of ['no-such-service', '..%2Fadmin', 'A'])
      expect((await browser.post(`/me/consents/${id}/revoke`, { _csrf: csrf })).status, id).to.equal(404);
  });

  it('logs the citizen out of every service on every device, keeping the portal session', async () => {
    const phone = new TestBrowser(op.url);
    const laptop = new TestBrowser(op.url);
    // Another citizen: every session of theirs counts, and the other tests' sessions are Mario's.
    await phone.login('BNCLRA85M41G999K', 2);
    await laptop.login('BNCLRA85M41G999K', 2);
    const onPhone = await enterService(phone, configs['pa-anagrafe']!, redirect('pa-anagrafe'));
    const onLaptop = await enterService(laptop, configs['pa-formula']!, redirect('pa-formula'));
    logoutTokens.length = 0;

    const me = cheerio.load(await (await laptop.request('/me')).text());
    const form = me('form[action="/me/services/end-all"]');
    const ended = await laptop.post('/me/services/end-all', {
      _csrf: String(form.find('input[name="_csrf"]').val()),
    });
    expect(ended.status).to.equal(303);
    expect(ended.headers.get('location')).to.equal('/me?notice=servicesEnded#services-sessions');

    const sids = logoutTokens.map(
      (token) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid,
    );
    expect(sids).to.have.members([onPhone.claims.sid, onLaptop.claims.sid]);
    const stillIn = await laptop.request(ended.headers.get('location')!);
    expect(stillIn.status).to.equal(200);
    expect(
      cheerio
        .load(await stillIn.text())('[role="status"]')
        .text(),
    ).to.contain('Sei uscito');
  });
});
