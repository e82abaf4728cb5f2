import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { addDays, localMoment } from '../../src/catalog/desk-calendar.ts';
import { createCredentials } from '../../src/registry/credentials.repository.ts';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { testBody, testService } from './catalog-fixtures.ts';

const EDITOR = 'RSSMRA80A01H501U';
const actor = { kind: 'system' as const, id: 'test' };
const office = { name: { it: 'Sportello', en: 'Desk' }, address: 'Via Roma 1, Prato' };

/**
 * The days around today (yesterday to tomorrow, so a test running across midnight in Rome reads the
 * same): one body's desk is closed on all of them, another's open all day, whatever the real clock says.
 */
const today = localMoment(new Date()).date;
const around = { from: addDays(today, -1), to: addDays(today, 1) };

describe('opening hours: open now, closures, the open-now search filter, maintenance windows', () => {
  let gw: TestGateway;
  let token = '';
  const deskService = (domain: string, title: string) => ({
    ...testService(domain, title),
    channels: ['desk'],
    requiredLevel: 'none',
    availability: { openingHours: ['Mo-Su 08:00-20:00'] },
  });

  before(async () => {
    gw = await createTestGateway();
    const { writer } = gw.deps.catalog;
    await writer.putBody(
      actor,
      {
        ...testBody('demo_chiuso', 'chiuso.example.it'),
        office: { ...office, specialDays: [{ ...around, hours: [] }] },
      },
      { status: 'approved', editors: [EDITOR] },
    );
    await writer.putBody(
      actor,
      {
        ...testBody('demo_aperto', 'aperto.example.it'),
        office: { ...office, specialDays: [{ ...around, hours: ['00:00-24:00'] }] },
      },
      { status: 'approved', editors: [] },
    );
    await writer.putService(
      actor,
      'demo_chiuso',
      'orari-sportello-chiuso',
      deskService('chiuso.example.it', 'Sportello orariprova chiuso'),
      'published',
    );
    await writer.putService(
      actor,
      'demo_aperto',
      'orari-sportello-aperto',
      deskService('aperto.example.it', 'Sportello orariprova aperto'),
      'published',
    );
    token = (await createCredentials(gw.redis).issue('demo_aperto')).token;
  });
  after(() => gw.close());

  it('says on the sheet, for every visitor, whether the desk is open now and why it is closed', async () => {
    const closed = cheerio.load(
      (await request(gw.app).get('/services/orari-sportello-chiuso').expect(200)).text,
    );
    expect(closed('.varco-desk-state').text()).to.contain('Chiuso oggi');
    expect(closed('.varco-desk-state').text()).not.to.contain('Aperto ora');
    // Tomorrow is closed too; the next opening is the day after, at 8:00.
    expect(closed('.varco-desk-state').text()).to.match(/apre (il .+|\S+) alle 8:00/);
    const open = await request(gw.app)
      .get('/services/orari-sportello-aperto')
      .set('Accept-Language', 'en')
      .expect(200);
    expect(cheerio.load(open.text)('.varco-desk-state').text()).to.contain('Open now');
  });

  it('filters the search by open now and by a day, and the results say which desks are open', async () => {
    const ids = async (query: string) => {
      const res = await request(gw.app)
        .get(`/services?q=orariprova&${query}`)
        .set('Accept', 'application/json')
        .expect(200);
      return (res.body.results as Array<{ id: string; availability: { desk?: { open: boolean } } }>).map(
        (r) => [r.id, r.availability.desk?.open],
      );
    };
    expect(await ids('')).to.have.deep.members([
      ['orari-sportello-chiuso', false],
      ['orari-sportello-aperto', true],
    ]);
    expect(await ids('open=now')).to.deep.equal([['orari-sportello-aperto', true]]);
    expect(await ids(`openOn=${addDays(today, 1)}`)).to.deep.equal([['orari-sportello-aperto', true]]);
    // Two days on, both desks keep their weekly hours again.
    expect(await ids(`openOn=${addDays(today, 2)}`)).to.have.length(2);
    const page = cheerio.load(
      (await request(gw.app).get('/services?q=orariprova&open=now').expect(200)).text,
    );
    expect(page('select[name="open"] option[selected]').val()).to.equal('now');
    expect(page('.varco-results .varco-desk-open')).to.have.length(1);
  });

  it('refuses filters that are not a day from today to a year ahead (400), changing nothing', async () => {
    for (const query of [
      'open=yes',
      'openOn=2026-02-30',
      `openOn=${addDays(today, -2)}`,
      `openOn=${addDays(today, 400)}`,
      'openOn=domani',
      'openOn[]=x',
    ])
      await request(gw.app).get(`/services?q=orariprova&${query}`).expect(400);
  });

  it('keeps a service under maintenance from being opened: 503 with Retry-After, and the sheet says until when', async () => {
    const api = (body: object) =>
      request(gw.app)
        .put('/api/v1/services/orari-manutenzione')
        .set('Authorization', `Bearer ${token}`)
        .send(body);
    const online = { ...testService('aperto.example.it', 'Servizio in manutenzione'), requiredLevel: 'none' };
    const now = Date.now();
    const window = {
      from: new Date(now - 3_600_000).toISOString(),
      to: new Date(now + 7_200_000).toISOString(),
    };
    // Hostile or impossible windows are refused, and nothing is written.
    for (const maintenance of [
      [{ from: window.to, to: window.from }],
      [{ from: '2026-12-20 22:00', to: '2026-12-21 06:00' }],
      [{ ...window, to: new Date(now + 40 * 86_400_000).toISOString() }],
      [{ ...window, extra: 'x' }],
    ])
      await api({ ...online, availability: { maintenance } }).expect(422);
    expect(await gw.deps.catalog.repository.getService('orari-manutenzione')).to.equal(undefined);

    await api({ ...online, availability: { maintenance: [window] } }).expect(201);
    await request(gw.app)
      .post('/api/v1/services/orari-manutenzione/publish')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    const go = await request(gw.app).get('/go/orari-manutenzione').expect(503);
    expect(Number(go.headers['retry-after'])).to.be.within(7000, 7200);
    expect(go.headers.location).to.equal(undefined);
    expect(cheerio.load(go.text)('h1').text()).to.contain('non disponibile ora');
    const sheet = cheerio.load((await request(gw.app).get('/services/orari-manutenzione').expect(200)).text);
    expect(sheet('.varco-maintenance').text()).to.contain('non è disponibile per manutenzione fino al');
    const found = await request(gw.app)
      .get('/services?q=manutenzione&open=now')
      .set('Accept', 'application/json');
    expect(found.body.results.map((r: { id: string }) => r.id)).not.to.include('orari-manutenzione');

    // Once the window is in the future, the service opens and the sheet announces it.
    const later = {
      from: new Date(now + 86_400_000).toISOString(),
      to: new Date(now + 90_000_000).toISOString(),
    };
    await api({ ...online, availability: { maintenance: [later] } }).expect(200);
    await request(gw.app).get('/go/orari-manutenzione').expect(303);
    const announced = cheerio.load(
      (await request(gw.app).get('/services/orari-manutenzione').expect(200)).text,
    );
    expect(announced('.varco-maintenance').text()).to.contain('Manutenzione programmata');
  });

  it('lets an editor write closures, the patron day and maintenance as lines of text, in Rome time', async () => {
    const editor = request.agent(gw.app);
    await editor.get(`/__test/login?fiscalCode=${EDITOR}&level=2`).expect(200);
    const page = await editor.get('/editor/bodies/demo_chiuso/profile').expect(200);
    const $ = cheerio.load(page.text);
    expect($('#body-office_specialDays').val()).to.equal(`${around.from}/${around.to} chiuso`);
    const csrf = csrfTokenFrom(page.text);
    const profile = {
      name_it: 'Ente demo_chiuso',
      name_en: 'Body demo_chiuso',
      kind: 'municipality',
      territory: 'Prato',
      email: 'urp@chiuso.example.it',
      website: 'https://chiuso.example.it',
      office_name_it: 'Sportello',
      office_name_en: 'Desk',
      office_address: 'Via Roma 1, Prato',
      office_openingHours: 'Mo-Fr 08:00-20:00',
      office_specialDays: `24/12/2027 09:00-12:00, 15:00-17:00\n2027-08-09/2027-08-20 closed\n${around.from}/${around.to} chiuso`,
      office_patronDay: '26/12',
      _csrf: csrf,
    };
    const post = (change: Record<string, string>) =>
      editor
        .post('/editor/bodies/demo_chiuso/profile')
        .type('form')
        .send({ ...profile, ...change });
    for (const [change, field] of [
      [{ office_specialDays: '2027-02-30 chiuso' }, 'office_specialDays'],
      [{ office_specialDays: '2027-12-24 sempre' }, 'office_specialDays'],
      [{ office_specialDays: '2027-12-24 12:00-09:00' }, 'office_specialDays'],
      [{ office_patronDay: '31/02' }, 'office_patronDay'],
      [{ office_patronDay: '<script>' }, 'office_patronDay'],
    ] as const) {
      const res = await post(change).expect(422);
      expect(cheerio.load(res.text)(`#body-${field}-error`).text(), JSON.stringify(change)).to.contain(
        'non è valido',
      );
    }
    await post({}).expect(303);
    const body = await gw.deps.catalog.repository.getBody('demo_chiuso');
    expect(body?.office?.patronDay).to.equal('12-26');
    expect(body?.office?.specialDays).to.deep.equal([
      { from: '2027-12-24', hours: ['09:00-12:00', '15:00-17:00'] },
      { from: '2027-08-09', to: '2027-08-20', hours: [] },
      { ...around, hours: [] },
    ]);
    const again = cheerio.load((await editor.get('/editor/bodies/demo_chiuso/profile').expect(200)).text);
    expect(again('#body-office_patronDay').val()).to.equal('26/12');

    const serviceForm = await editor
      .get('/editor/bodies/demo_chiuso/services/orari-sportello-chiuso/edit')
      .expect(200);
    const fields = cheerio.load(serviceForm.text)('form.varco-editor-form').serializeArray();
    const form: Record<string, string | string[]> = {};
    for (const { name, value } of fields) {
      const prev = form[name];
      form[name] = prev === undefined ? value : ([] as string[]).concat(prev, value);
    }
    const save = (maintenance: string) =>
      editor
        .post('/editor/bodies/demo_chiuso/services')
        .type('form')
        .send({ ...form, maintenance });
    await save('2027-01-10 22:00 - 2027-01-30 06:00').expect(303);
    // 22:00 in Rome in January is 21:00 UTC; in July it would be 20:00.
    expect(
      (await gw.deps.catalog.repository.getService('orari-sportello-chiuso'))?.availability.maintenance,
    ).to.deep.equal([{ from: '2027-01-10T21:00:00.000Z', to: '2027-01-30T05:00:00.000Z' }]);
    const edit = cheerio.load(
      (await editor.get('/editor/bodies/demo_chiuso/services/orari-sportello-chiuso/edit')).text,
    );
    expect(edit('#service-maintenance').val()).to.equal('2027-01-10 22:00 - 2027-01-30 06:00');
    for (const bad of [
      '2027-02-30 22:00 - 2027-03-01 06:00',
      '2027-01-10 22:00 - 2027-01-09 06:00',
      'domani sera',
    ])
      await save(bad).expect(422);
  });
});
