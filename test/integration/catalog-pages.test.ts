import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { testBody, testService } from './catalog-fixtures.ts';

describe('catalog pages: home, search, info sheet, open data, favourites', () => {
  let gw: TestGateway;
  const actor = { kind: 'system' as const, id: 'test' };
  before(async () => {
    gw = await createTestGateway();
    const { writer } = gw.deps.catalog;
    await writer.putBody(actor, testBody('demo_markup', 'markup.example.it'), {
      status: 'approved',
      editors: [],
    });
    const hostile = {
      ...testService('markup.example.it', '<script>alert(1)</script> Servizio ostile'),
      description: {
        it: '</script><img src=x onerror=alert(1)> "=cmd"',
        en: '=HYPERLINK("http://evil")',
      },
      keywords: ['=HYPERLINK("http://evil")'],
    };
    await writer.putService(actor, 'demo_markup', 'markup-ostile', hostile, 'published');
  });
  after(() => gw.close());

  it('home shows the search box, life events and topics, without JavaScript', async () => {
    const res = await request(gw.app).get('/').set('Accept-Language', 'it').expect(200);
    const $ = cheerio.load(res.text);
    expect($('form[action="/services"][method="get"] input[name="q"]')).to.have.length(1);
    expect($('.varco-life-events a[href="/services?event=birth"]').text()).to.equal(
      'Nascita di un bambino, richiesta adozioni',
    );
    expect($('.varco-topics a[href="/services?topic=civil-registry"]').text()).to.equal(
      'Anagrafe e stato civile',
    );
    expect($('script:not([src]):not([type="application/ld+json"])')).to.have.length(0);
  });

  it('search page lists results in English too, with filters as plain GET forms', async () => {
    const res = await request(gw.app).get('/services?q=pediatra').set('Accept-Language', 'en').expect(200);
    const $ = cheerio.load(res.text);
    expect($('.varco-results h3 a').first().attr('href')).to.equal('/services/usl-scelta-pediatra');
    expect($('.varco-results h3 a').first().text()).to.equal('Choosing or changing the paediatrician');
    expect($('select[name="topic"] option')).to.have.length.greaterThan(10);
  });

  it('info sheet carries schema.org GovernmentService JSON-LD under the CSP nonce and a print stylesheet', async () => {
    const res = await request(gw.app).get('/services/prato-certificato-nascita').expect(200);
    const $ = cheerio.load(res.text);
    const script = $('script[type="application/ld+json"]');
    expect(script.attr('nonce')).to.be.a('string').and.not.equal('');
    const data = JSON.parse(script.text()) as Record<string, unknown>;
    expect(data['@type']).to.equal('GovernmentService');
    expect((data.provider as { identifier: string }).identifier).to.equal('c_g999');
    expect($('link[rel="stylesheet"][media="print"]').attr('href')).to.equal('/assets/css/catalog-print.css');
    expect($('a[href="/go/prato-certificato-nascita"]')).to.have.length(1);
  });

  it('info sheet sits under Home / Services in the breadcrumb and gives its last update in words', async () => {
    const res = await request(gw.app).get('/services/prato-certificato-nascita').expect(200);
    const $ = cheerio.load(res.text);
    const crumbs = $('nav.breadcrumb-container li.breadcrumb-item');
    expect(crumbs.map((_, li) => $(li).text().replace('/', '').trim()).get()).to.deep.equal([
      'Home',
      'Servizi',
      'Certificato di nascita',
    ]);
    expect(crumbs.last().attr('aria-current')).to.equal('page');
    expect(crumbs.eq(1).find('a').attr('href')).to.equal('/services');
    const service = await gw.deps.catalog.repository.getService('prato-certificato-nascita');
    const day = new Intl.DateTimeFormat('it-IT', { timeZone: 'Europe/Rome', dateStyle: 'long' });
    expect($('main').text()).to.contain(
      `Ultimo aggiornamento: ${day.format(new Date(service?.updatedAt ?? 0))}`,
    );
  });

  it('info sheet of a single-sign-on service lists exactly the data the body receives, and why', async () => {
    const $ = cheerio.load((await request(gw.app).get('/services/usl-prenotazioni').expect(200)).text);
    const items = $('.varco-shared-data li')
      .map((_, li) => $(li).text().trim())
      .get();
    const service = await gw.deps.catalog.repository.getService('usl-prenotazioni');
    const declared = service?.sso?.claims ?? [];
    expect(declared.length).to.be.greaterThan(0);
    expect(items).to.have.length(declared.length + 1); // the pairwise identifier, then each declared claim
    for (const [i, c] of declared.entries()) expect(items[i + 1]).to.contain(c.purpose.it);
    expect(items.join(' ')).to.not.contain('Indirizzo email'); // not declared by this service
    const link = cheerio.load(
      (await request(gw.app).get('/services/prato-certificato-nascita').expect(200)).text,
    );
    expect(link('.varco-shared-data')).to.have.length(0);
  });

  it('info sheet says how the service is reached: no new login only for a registered client', async () => {
    const access = async (id: string, lang = 'it') =>
      cheerio
        .load((await request(gw.app).get(`/services/${id}`).set('Accept-Language', lang).expect(200)).text)(
          '.varco-access',
        )
        .text();
    expect(await access('usl-prenotazioni')).to.match(/^Accesso senza nuovo login/);
    expect(await access('usl-prenotazioni', 'en')).to.match(/^No new login/);
    // Once called "sso" in the demo catalog, though no client of the gateway: a link, said as one.
    expect(await access('usl-scelta-pediatra')).to.match(/^Collegamento al sito dell'ente/);
    expect(await access('prato-certificato-nascita')).to.not.match(/senza nuovo login/);
    expect(await access('prato-tari')).to.match(/^Collegamento diretto/);
  });

  it("info sheet shows the office, its hours and the body's contacts, and puts them in the JSON-LD", async () => {
    const res = await request(gw.app)
      .get('/services/prato-carta-identita-elettronica')
      .set('Accept-Language', 'it')
      .expect(200);
    const $ = cheerio.load(res.text);
    // No office of its own: the body's main office; the service's own desk hours.
    expect($('.varco-office').text()).to.contain('Ufficio relazioni con il pubblico (URP)');
    expect($('.varco-office').text()).to.contain('Piazza del Comune 2, 59100 Prato');
    expect(
      $('.varco-hours li')
        .map((_, li) => $(li).text())
        .get(),
    ).to.deep.equal(['lunedì–venerdì, 08:30–12:30', 'martedì, giovedì, 15:00–17:30']);
    const profile = $('.varco-body-profile');
    expect(profile.find('a[href="/services?body=c_g999"]').text()).to.equal('Comune di Prato');
    expect(profile.find('a[href="mailto:comune.prato@postacert.toscana.it"]')).to.have.length(1);
    expect(profile.find('a[href="https://www.comune.prato.it"]')).to.have.length(1);
    const data = JSON.parse($('script[type="application/ld+json"]').text());
    const channel = data.availableChannel;
    expect(channel.serviceLocation).to.include({
      '@type': 'GovernmentOffice',
      address: 'Piazza del Comune 2, 59100 Prato',
    });
    expect(channel.servicePhone.hoursAvailable).to.deep.equal(
      channel.serviceLocation.openingHoursSpecification,
    );
    expect(channel.servicePhone.hoursAvailable[1]).to.deep.equal({
      '@type': 'OpeningHoursSpecification',
      dayOfWeek: ['https://schema.org/Tuesday', 'https://schema.org/Thursday'],
      opens: '15:00',
      closes: '17:30',
    });

    // A service with its own office shows that one, and the body's hours do not leak into it.
    const withOffice = {
      ...testService('markup.example.it', 'Servizio con sportello'),
      availability: { notes: { it: 'Chiuso ad <b>agosto</b>', en: 'Closed in <b>August</b>' } },
      infoSheet: {
        ...testService('markup.example.it').infoSheet,
        office: {
          name: { it: 'Sportello <b>unico</b>', en: 'One-stop <b>desk</b>' },
          address: 'Via Roma 1, 59100 Prato',
          phone: '+39 0574 000000',
          email: 'sportello@markup.example.it',
        },
      },
    };
    await gw.deps.catalog.writer.putService(
      actor,
      'demo_markup',
      'markup-sportello',
      withOffice,
      'published',
    );
    const own = await request(gw.app)
      .get('/services/markup-sportello')
      .set('Accept-Language', 'en')
      .expect(200);
    const $own = cheerio.load(own.text);
    expect($own('.varco-office strong').text()).to.equal('One-stop <b>desk</b>');
    expect($own('.varco-office a[href="tel:+390574000000"]').text()).to.equal('+39 0574 000000');
    expect($own('.varco-hours')).to.have.length(0);
    expect($own('.varco-availability-notes').text()).to.equal('Closed in <b>August</b>');
    const ownData = JSON.parse($own('script[type="application/ld+json"]').text());
    expect(ownData.availableChannel.serviceLocation.telephone).to.equal('+39 0574 000000');
    expect(ownData.availableChannel.servicePhone).not.to.have.property('hoursAvailable');
  });

  it("info sheet's JSON-LD follows every change to the service and to its body, in each language", async () => {
    const { writer } = gw.deps.catalog;
    await writer.putBody(actor, testBody('demo_markup_ld', 'jsonld.example.it'), {
      status: 'approved',
      editors: [],
    });
    const service = testService('jsonld.example.it', 'Servizio JSON-LD');
    await writer.putService(actor, 'demo_markup_ld', 'jsonld-sheet', service, 'published');
    const jsonLd = async (language: string) => {
      const res = await request(gw.app)
        .get('/services/jsonld-sheet')
        .set('Accept-Language', language)
        .expect(200);
      return JSON.parse(cheerio.load(res.text)('script[type="application/ld+json"]').text()) as {
        name: string;
        provider: { name: string };
      };
    };
    // Each seen twice: the second view is the one a kept copy would answer.
    for (let i = 0; i < 2; i++) {
      expect(await jsonLd('it')).to.deep.include({ name: 'Servizio JSON-LD', inLanguage: 'it' });
      expect((await jsonLd('en')).provider.name).to.equal('Body demo_markup_ld');
    }
    await writer.putService(
      actor,
      'demo_markup_ld',
      'jsonld-sheet',
      { ...service, title: { it: 'Servizio rinominato', en: 'Renamed service' } },
      'published',
    );
    expect((await jsonLd('it')).name).to.equal('Servizio rinominato');
    expect((await jsonLd('en')).name).to.equal('Renamed service');
    await writer.putBody(
      actor,
      {
        ...testBody('demo_markup_ld', 'jsonld.example.it'),
        name: { it: 'Ente rinominato', en: 'Renamed body' },
      },
      { status: 'approved', editors: [] },
    );
    expect((await jsonLd('en')).provider.name).to.equal('Renamed body');
    expect((await jsonLd('it')).provider.name).to.equal('Ente rinominato');
    expect((await jsonLd('it')).name).to.equal('Servizio rinominato');
  });

  it('every demo service has an info sheet with an office to go to, in both languages', async () => {
    const { index } = gw.deps.catalog;
    const services = (await index.allPublished()).filter((s) => !s.bodyId.startsWith('demo_markup'));
    expect(services.length).to.be.at.least(80);
    for (const s of services) {
      const body = await index.body(s.bodyId);
      expect(s.infoSheet.office ?? body?.office, s.id).to.not.equal(undefined);
      for (const field of ['whoCanApply', 'documents', 'costs', 'times'] as const) {
        expect(s.infoSheet[field].it, `${s.id} ${field}`).to.not.equal(s.infoSheet[field].en);
      }
    }
  });

  it('escapes markup from bodies in pages, JSON-LD and CSV', async () => {
    const page = await request(gw.app).get('/services/markup-ostile').expect(200);
    expect(page.text).not.to.contain('<script>alert(1)</script>');
    expect(page.text).not.to.contain('<img src=x');
    const $ = cheerio.load(page.text);
    expect($('h1').text()).to.equal('<script>alert(1)</script> Servizio ostile');
    const jsonLd = $('script[type="application/ld+json"]').html() ?? '';
    expect(jsonLd).not.to.contain('</script');
    expect(JSON.parse(jsonLd).description).to.equal('</script><img src=x onerror=alert(1)> "=cmd"');
    const results = await request(gw.app).get('/services?q=ostile').expect(200);
    expect(results.text).not.to.contain('<script>alert(1)</script>');
    const csv = await request(gw.app).get('/catalog.csv').expect(200);
    expect(csv.headers['content-type']).to.match(/^text\/csv/);
    // A cell starting with "=" is neutralised so that a spreadsheet never runs it as a formula.
    expect(csv.text).to.contain(`"'=HYPERLINK(""http://evil"")"`);
  });

  it('open data: the published catalog as CPSV-AP_IT JSON-LD and CSV', async () => {
    const res = await request(gw.app).get('/catalog.jsonld').expect(200);
    expect(res.headers['content-type']).to.match(/^application\/ld\+json/);
    const graph = (JSON.parse(res.text) as { '@graph': Array<Record<string, unknown>> })['@graph'];
    expect(graph.length).to.be.at.least(80);
    const cie = graph.find((s) => s['dct:identifier'] === 'prato-carta-identita-elettronica');
    expect(cie?.['@type']).to.equal('cpsv:PublicService');
    expect(cie?.['cv:isGroupedBy']).to.deep.equal([
      {
        '@id':
          'https://w3id.org/italia/controlled-vocabulary/classifications-for-public-services/life-event/11',
      },
    ]);
    const csv = await request(gw.app).get('/catalog.csv').expect(200);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).to.match(/^id,body_ipa_code,/);
    expect(lines.length).to.equal(graph.length + 1);
  });

  it('unknown and withdrawn services answer 404 with a search box', async () => {
    for (const path of ['/services/non-esiste', '/services/..%2f..%2fetc', '/go/non-esiste']) {
      const res = await request(gw.app).get(path).expect(404);
      expect(cheerio.load(res.text)('form[action="/services"] input[name="q"]'), path).to.have.length(1);
    }
    await gw.deps.catalog.writer.setServiceStatus(actor, 'demo_markup', 'markup-ostile', 'withdrawn');
    await request(gw.app).get('/services/markup-ostile').expect(404);
    await request(gw.app).get('/go/markup-ostile').expect(404);
    await gw.deps.catalog.writer.setServiceStatus(actor, 'demo_markup', 'markup-ostile', 'published');
  });

  it('favourites: a CSRF-protected toggle for logged-in citizens, shown on the home page', async () => {
    const agent = request.agent(gw.app);
    await agent.post('/services/prato-tari/favourite').type('form').send({}).expect(403);
    await agent.get('/__test/login?fiscalCode=RSSMRA80A01H501U&level=2').expect(200);
    const sheet = await agent.get('/services/prato-tari').expect(200);
    await agent.post('/services/prato-tari/favourite').type('form').send({ _csrf: 'wrong' }).expect(403);
    await agent
      .post('/services/prato-tari/favourite')
      .type('form')
      .send({ _csrf: csrfTokenFrom(sheet.text) })
      .expect(303)
      .expect('Location', '/services/prato-tari');
    const home = await agent.get('/').expect(200);
    expect(cheerio.load(home.text)('.varco-favourites a').attr('href')).to.equal('/services/prato-tari');
    const key = gw.deps.citizen.keys.key('RSSMRA80A01H501U', 'favourites');
    expect(await gw.redis.client.sMembers(key)).to.deep.equal(['prato-tari']);
  });
});
