import { expect } from 'chai';
import * as cheerio from 'cheerio';
import { csrfTokenFrom } from '../helpers/gateway.ts';
import { consentForm, startSsoGateway, TestBrowser, type SsoGateway } from '../helpers/sso.ts';

const CITIZEN = 'RSSMRA80A01H501U';

/** Claims shown by a demo body system's page, by name. */
async function shownClaims(response: Response) {
  const $ = cheerio.load(await response.text());
  return Object.fromEntries(
    $('tr[data-claim]')
      .map((_, tr) => [[$(tr).attr('data-claim'), $(tr).find('td').text()]])
      .get() as Array<[string, string]>,
  );
}

describe('demo body systems (relying parties of the gateway, demo mode)', () => {
  let op: SsoGateway;
  before(async () => {
    op = await startSsoGateway();
  });
  after(async () => {
    await op.close();
  });

  /** From the catalog's deep link to the body system's page, agreeing on the consent page if asked. */
  async function enterFromCatalog(browser: TestBrowser, serviceId: string) {
    let step = await browser.follow(`/go/${serviceId}`);
    if (step.url.pathname.startsWith('/sso/interaction/')) {
      const form = consentForm(await step.response.text());
      const decided = await browser.post(form.action, { _csrf: form.csrf, decision: 'allow' });
      step = await browser.follow(decided.headers.get('location')!);
    }
    return step;
  }

  it('publish only the public half of the key-based system’s key, the same on every instance', async () => {
    const jwks = (await (await fetch(`${op.url}/demo/rp/prato-certificati-anagrafici/jwks`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks.keys).to.have.length(1);
    expect(jwks.keys[0]).to.include({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).to.not.have.property('d');
    const stored = await op.gateway.redis.client.get(
      `${op.gateway.config.redis.prefix}demo:rp:prato-certificati-anagrafici:signing-key`,
    );
    expect(JSON.parse(stored!).x).to.equal(jwks.keys[0]!.x);
  });

  it('are published in the demo catalog as single-sign-on services', async () => {
    for (const id of ['prato-certificati-anagrafici', 'usl-prenotazioni']) {
      const service = await op.gateway.deps.catalog.repository.getService(id);
      expect(service?.status).to.equal('published');
      expect(service?.sso?.redirectUris).to.deep.equal([`${op.url}/demo/rp/${id}/callback`]);
    }
  });

  it('take the citizen from the catalog into both bodies’ systems with one login, showing the claims', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login(CITIZEN, 2);
    const prato = await enterFromCatalog(browser, 'prato-certificati-anagrafici');
    expect(prato.left).to.equal(undefined);
    expect(prato.url.pathname).to.equal('/demo/rp/prato-certificati-anagrafici/');
    const pratoClaims = await shownClaims(prato.response);
    expect(pratoClaims.fiscal_number).to.equal(`TINIT-${CITIZEN}`);
    expect(pratoClaims.family_name).to.equal('Rossi');
    expect(pratoClaims.acr).to.equal('https://www.spid.gov.it/SpidL2');

    const usl = await enterFromCatalog(browser, 'usl-prenotazioni');
    expect(usl.url.pathname).to.equal('/demo/rp/usl-prenotazioni/');
    const uslClaims = await shownClaims(usl.response);
    expect(uslClaims.given_name).to.equal('Mario');
    expect(uslClaims).to.not.have.property('birthdate');
    expect(uslClaims.sub).to.not.equal(pratoClaims.sub);

    // Logging out of the portal reaches both systems by back-channel logout.
    const csrf = csrfTokenFrom(await (await browser.request('/me')).text());
    expect((await browser.post('/logout', { _csrf: csrf })).status).to.equal(303);
    for (const id of ['prato-certificati-anagrafici', 'usl-prenotazioni']) {
      const page = await browser.request(`/demo/rp/${id}/`);
      expect(await shownClaims(page), id).to.deep.equal({});
    }
  });

  /** A body system's logout: its link, the portal's question, the answer; returns where the browser ended. */
  async function leaveService(browser: TestBrowser, serviceId: string, alsoPortal: boolean) {
    const question = await browser.follow(`/demo/rp/${serviceId}/logout`);
    expect(question.url.pathname).to.equal('/op/session/end');
    const $ = cheerio.load(await question.response.text());
    expect($('h1').text()).to.contain(
      serviceId === 'usl-prenotazioni' ? 'Prenotazioni di visite' : 'Certificati',
    );
    const form = $('form#op\\.logoutForm');
    const fields: Record<string, string> = {};
    for (const input of form.find('input').toArray())
      fields[String($(input).attr('name'))] = String($(input).val());
    expect($('button[form="op.logoutForm"]').length).to.equal(2);
    if (alsoPortal) fields.logout = 'yes';
    const answered = await browser.post(String(form.attr('action')), fields);
    return browser.follow(answered.headers.get('location')!);
  }

  it('let the citizen leave one service, and the portal too when they say so', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login('BNCLRA85M41G999K', 2);
    await enterFromCatalog(browser, 'prato-certificati-anagrafici');
    await enterFromCatalog(browser, 'usl-prenotazioni');

    const stay = await leaveService(browser, 'usl-prenotazioni', false);
    expect(stay.url.pathname).to.equal('/demo/rp/usl-prenotazioni/logged-out');
    expect(
      cheerio
        .load(await stay.response.text())('p.lead')
        .text(),
    ).to.contain('Prenotazioni di visite ed esami');
    expect((await browser.request('/me')).status).to.equal(200);
    expect(
      Object.keys(await shownClaims(await browser.request('/demo/rp/prato-certificati-anagrafici/'))),
    ).to.include('sub');

    await enterFromCatalog(browser, 'usl-prenotazioni');
    const leave = await leaveService(browser, 'usl-prenotazioni', true);
    expect(leave.url.pathname).to.equal('/demo/rp/usl-prenotazioni/logged-out');
    const me = await browser.request('/me');
    expect(me.status, 'the portal session ended').to.equal(303);
    // The other service was told by back-channel logout.
    expect(await shownClaims(await browser.request('/demo/rp/prato-certificati-anagrafici/'))).to.deep.equal(
      {},
    );
  });

  it('say in words, on the system’s own page, that a declined consent shared nothing', async () => {
    const browser = new TestBrowser(op.url);
    await browser.login('VRDGNN75C41G999X', 2);
    const step = await browser.follow('/go/prato-certificati-anagrafici');
    expect(step.url.pathname).to.match(/^\/sso\/interaction\//);
    const consentHtml = await step.response.text();
    // The fiscal code as the citizen knows it, not the SPID form the service receives.
    const cells = cheerio.load(consentHtml)('td').text();
    expect(cells).to.contain('VRDGNN75C41G999X').and.not.contain('TINIT-');
    const form = consentForm(consentHtml);
    const decided = await browser.post(form.action, { _csrf: form.csrf, decision: 'deny' });
    const back = await browser.follow(decided.headers.get('location')!);
    expect(back.url.pathname).to.equal('/demo/rp/prato-certificati-anagrafici/callback');
    expect(back.response.status).to.equal(200);
    const $ = cheerio.load(await back.response.text());
    expect($('h2').text()).to.equal("Non hai autorizzato l'invio dei tuoi dati");
    expect($('p.lead').text())
      .to.contain('Certificati anagrafici online')
      .and.contain('non ha ricevuto nulla');
    expect($('body').text()).to.not.match(/errore 400|richiesta non valida/i);
    expect($('a[href="/demo/rp/prato-certificati-anagrafici/login"]')).to.have.length(1);
    expect(await shownClaims(await browser.request('/demo/rp/prato-certificati-anagrafici/'))).to.deep.equal(
      {},
    );
    // Still logged in to the portal: declining a service is not leaving the portal.
    expect((await browser.request('/me')).status).to.equal(200);
  });

  it('refuse a login started for another issuer and a forged back-channel logout', async () => {
    const browser = new TestBrowser(op.url);
    const foreign = await browser.request(
      '/demo/rp/usl-prenotazioni/login?iss=https%3A%2F%2Fevil.example&target_link_uri=https%3A%2F%2Fevil.example',
    );
    expect(foreign.status).to.equal(400);
    const forged = await browser.post('/demo/rp/usl-prenotazioni/backchannel-logout', {
      logout_token: 'eyJhbGciOiJub25lIn0.eyJzaWQiOiJ4In0.',
    });
    expect(forged.status).to.equal(400);
    for (const query of ['code=x&state=y', 'error=access_denied%3Cscript%3E', 'error=server_error']) {
      const callback = await new TestBrowser(op.url).request(`/demo/rp/usl-prenotazioni/callback?${query}`);
      expect(callback.status, query).to.equal(400);
      const text = cheerio
        .load(await callback.text())('main')
        .text();
      expect(text, query).to.contain('Accesso non completato').and.not.contain('<script>');
    }
  });
});
