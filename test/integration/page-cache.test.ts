import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { TOPICS } from '../../src/catalog/model.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { testBody, testService } from './catalog-fixtures.ts';

/** The page with its nonce (attributes and CSP header) taken out, and the nonce itself. */
function withoutNonce(res: request.Response): { page: string; nonce: string } {
  const csp = String(res.headers['content-security-policy']);
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  if (!nonce) throw new Error('no nonce in the CSP');
  // Form tokens are masked afresh in every response (src/platform/csrf.ts): compared as "TOKEN".
  const page = res.text
    .split(nonce)
    .join('NONCE')
    .replace(/name="_csrf" value="[A-Za-z0-9_-]+"/g, 'name="_csrf" value="TOKEN"');
  return { page, nonce };
}

const actor = { kind: 'system' as const, id: 'test' };

/**
 * Two gateway instances on the same Redis and key prefix (the catalog one changes is the other's),
 * made before the tests of the block that asks for them and closed after.
 */
function twoInstances() {
  const gw = {} as { a: TestGateway; b: TestGateway };
  before(async () => {
    gw.a = await createTestGateway();
    gw.b = await createTestGateway({}, gw.a.config);
  });
  after(async () => {
    await gw.b.deps.close();
    await gw.b.redis.close();
    await gw.a.close();
  });
  return gw;
}

/** Publishes `service` as `serviceId` of an approved body `ipaCode` on the service's domain, through `gateway`. */
async function publish(
  gateway: TestGateway,
  ipaCode: string,
  serviceId: string,
  service: ReturnType<typeof testService>,
) {
  const domain = new URL(service.deepLink.url).hostname;
  await gateway.deps.catalog.writer.putBody(actor, testBody(ipaCode, domain), {
    status: 'approved',
    editors: [],
  });
  await gateway.deps.catalog.writer.putService(actor, ipaCode, serviceId, service, 'published');
}

describe('the anonymous home page, rendered once per language and catalog version', () => {
  const gw = twoInstances();

  it('serves the page a fresh render gives, with a new nonce each time that matches the CSP', async () => {
    for (const lang of ['it', 'en']) {
      const first = await request(gw.a.app).get('/').set('Accept-Language', lang).expect(200);
      const second = await request(gw.a.app).get('/').set('Accept-Language', lang).expect(200);
      // /?fresh is not kept (its language links come back to it): rendered for this request alone.
      const fresh = await request(gw.a.app).get('/?fresh').set('Accept-Language', lang).expect(200);
      const [one, two, three] = [first, second, fresh].map(withoutNonce);
      expect(one!.nonce).to.not.equal(two!.nonce);
      expect(cheerio.load(first.text)('script[nonce]').first().attr('nonce')).to.equal(one!.nonce);
      expect(two!.page).to.equal(one!.page);
      expect(three!.page.split('%2F%3Ffresh').join('%2F')).to.equal(one!.page);
      expect(first.headers['cache-control']).to.equal('no-store');
      expect(cheerio.load(first.text)('html').attr('lang')).to.equal(lang);
      // The procedures on offer (the procedures module's part of the home page), in the page's language.
      const offer = cheerio.load(first.text)('a[href="/procedures/newborn"]');
      expect(offer).to.have.length(1);
      expect(offer.text()).to.match(lang === 'it' ? /nascita/i : /birth|newborn/i);
    }
  });

  it('shows a catalog change made through another instance on the next request', async () => {
    const $before = cheerio.load((await request(gw.a.app).get('/').expect(200)).text);
    const shown = new Set(
      $before('.varco-topics a')
        .map((_, el) => $before(el).attr('href'))
        .get(),
    );
    const missing = TOPICS.find((topic) => !shown.has(`/services?topic=${topic}`));
    if (!missing) throw new Error('every topic is on the demo home page already: pick another change');
    await publish(gw.b, 'demo_cache', 'nuovo-tema', {
      ...testService('cache.example.it'),
      topics: [missing],
    });
    const $after = cheerio.load((await request(gw.a.app).get('/').expect(200)).text);
    expect($after(`.varco-topics a[href="/services?topic=${missing}"]`)).to.have.length(1);
  });

  it('never serves the anonymous copy to a logged-in citizen', async () => {
    await request(gw.a.app).get('/').expect(200); // the anonymous copy is kept
    const agent = request.agent(gw.a.app);
    await agent.get('/__test/login').expect(200);
    const $ = cheerio.load((await agent.get('/').expect(200)).text);
    expect($('a[href="/me"].btn').length).to.be.greaterThan(0);
    expect($('#favourites-heading')).to.have.length(1);
    expect($('a[href="/login"]')).to.have.length(0);
    // …and the anonymous visitor still gets the anonymous page afterwards.
    const $anonymous = cheerio.load((await request(gw.a.app).get('/').expect(200)).text);
    expect($anonymous('#favourites-heading')).to.have.length(0);
    expect($anonymous('a[href="/login"]').length).to.be.greaterThan(0);
  });

  it('still answers 406 to a client that does not accept HTML', async () => {
    await request(gw.a.app).get('/').set('Accept', 'image/png').expect(406);
  });
});

describe("services' information sheets, rendered once per catalog version for anonymous visitors", () => {
  const gw = twoInstances();
  const sheet = '/services/prato-tari';

  async function loggedIn(query: string) {
    const agent = request.agent(gw.a.app);
    await agent.get(`/__test/login?${query}`).expect(200);
    return agent;
  }
  const tokenOf = (res: request.Response) =>
    cheerio.load(res.text)('form[action$="/favourite"] input[name="_csrf"]').val() as string;
  const favouriteButton = (res: request.Response) =>
    cheerio.load(res.text)('form[action$="/favourite"] button').attr('aria-pressed');

  it('serves anonymous visitors and citizens the sheet a fresh render gives, in each language', async () => {
    const citizen = await loggedIn('fiscalCode=RSSMRA80A01H501U');
    for (const lang of ['it', 'en']) {
      for (const agent of [request.agent(gw.a.app), citizen]) {
        const first = await agent.get(sheet).set('Accept-Language', lang).expect(200);
        const second = await agent.get(sheet).set('Accept-Language', lang).expect(200);
        // With a query the sheet is not kept (its language links come back to it): rendered anew.
        const fresh = await agent.get(`${sheet}?fresh`).set('Accept-Language', lang).expect(200);
        const [one, two, three] = [first, second, fresh].map(withoutNonce);
        expect(one!.nonce).to.not.equal(two!.nonce);
        expect(two!.page).to.equal(one!.page);
        expect(three!.page.split('%3Ffresh').join('')).to.equal(one!.page);
        expect(first.headers['cache-control']).to.equal('no-store');
        expect(cheerio.load(first.text)('html').attr('lang')).to.equal(lang);
      }
    }
  });

  it('shows each citizen their own name, form token and favourite, never the previous visitor’s', async () => {
    const ada = await loggedIn(
      `fiscalCode=LVLDAA85T50G702B&name=${encodeURIComponent('Ada <i>')}&familyName=${encodeURIComponent(`D'Este & co`)}`,
    );
    const mario = await loggedIn('fiscalCode=RSSMRA80A01H501U&name=Mario&familyName=Rossi');
    const adaSheet = await ada.get(sheet).expect(200);
    const marioSheet = await mario.get(sheet).expect(200);
    expect(adaSheet.text).to.contain('Ada &lt;i&gt; D&#39;Este &amp; co');
    expect(marioSheet.text).to.contain('Mario Rossi');
    expect(marioSheet.text).to.not.contain('Ada');
    expect(tokenOf(marioSheet)).to.be.a('string').and.not.equal(tokenOf(adaSheet));
    // Each page's tokens are its session's: Ada's is refused from Mario's session, Mario's accepted.
    await mario
      .post(`${sheet}/favourite`)
      .type('form')
      .send({ _csrf: tokenOf(adaSheet) })
      .expect(403);
    await mario
      .post(`${sheet}/favourite`)
      .type('form')
      .send({ _csrf: tokenOf(marioSheet) })
      .expect(303);
    // The logout form in the header carries a token of the same session (each masked afresh).
    const $mario = cheerio.load((await mario.get(sheet).expect(200)).text);
    await mario
      .post(`${sheet}/favourite`)
      .type('form')
      .send({ _csrf: $mario('form[action="/logout"] input[name="_csrf"]').val() as string })
      .expect(303);
    expect(favouriteButton(await mario.get(sheet).expect(200))).to.equal('false');
    await mario
      .post(`${sheet}/favourite`)
      .type('form')
      .send({ _csrf: tokenOf(marioSheet) })
      .expect(303);
    expect(favouriteButton(await mario.get(sheet).expect(200))).to.equal('true');
    expect(favouriteButton(await ada.get(sheet).expect(200))).to.equal('false');
    // An anonymous visitor after them gets the anonymous sheet: no name, no form token, a login link.
    const anonymous = await request(gw.a.app).get(sheet).expect(200);
    expect(anonymous.text).to.not.contain('Mario').and.not.contain('Ada');
    expect(cheerio.load(anonymous.text)('input[name="_csrf"]')).to.have.length(0);
    expect(anonymous.headers['set-cookie']).to.equal(undefined);
  });

  it('shows a change to the service or to its body, made through another instance, on the next view', async () => {
    await publish(gw.b, 'demo_sheet', 'scheda', testService('sheet.example.it', 'Prima versione'));
    const citizen = await loggedIn('fiscalCode=RSSMRA80A01H501U');
    for (const agent of [request.agent(gw.a.app), citizen]) {
      expect((await agent.get('/services/scheda').expect(200)).text).to.contain('Prima versione');
    }
    await gw.b.deps.catalog.writer.putService(
      actor,
      'demo_sheet',
      'scheda',
      testService('sheet.example.it', 'Seconda versione'),
      'published',
    );
    await gw.b.deps.catalog.writer.putBody(
      actor,
      { ...testBody('demo_sheet', 'sheet.example.it'), name: { it: 'Ente rinominato', en: 'Renamed body' } },
      { status: 'approved', editors: [] },
    );
    for (const agent of [request.agent(gw.a.app), citizen]) {
      const text = (await agent.get('/services/scheda').expect(200)).text;
      expect(text).to.contain('Seconda versione').and.contain('Ente rinominato');
      expect(text).to.not.contain('Prima versione');
    }
  });
});
