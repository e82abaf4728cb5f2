import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { UrpDesk } from '../../src/participation/urp/urp.service.ts';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { logIn } from '../helpers/journeys.ts';
import { linkIn, startSmtpServer, type SmtpTestServer } from '../helpers/smtp.ts';

const ADMIN = 'NRELNE66D44G999Z';
const CITIZEN = 'RSSMRA80A01H501U';
const BASE = '/api/open311/v2';
const SECRET_TEXT = 'Segnalo una buca; sono Mario, tel 3331234567';

/** An Open311 error answer: the status, and a JSON array of { code, description } with that code. */
function expectOpen311Error(answer: request.Response, status: number) {
  expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
  expect(answer.type).to.equal('application/json');
  expect(answer.body).to.be.an('array').with.length(1);
  expect(answer.body[0].code).to.equal(status);
  expect(answer.body[0].description).to.be.a('string');
}

describe('URP desk: Open311 GeoReport v2', function () {
  this.timeout(30_000);
  let smtp: SmtpTestServer;
  let gateway: TestGateway;
  let desk: UrpDesk;
  let apiKey: string;
  let reportRef: string;
  let privateRef: string;

  before(async () => {
    smtp = await startSmtpServer();
    gateway = await createTestGateway({
      registry: { admins: [ADMIN] },
      mail: { smtpUrl: smtp.url, queue: { workers: true, backoffMs: 10, attempts: 3 } },
      procedures: { delivery: { workers: false } },
      rateLimit: { forms: { windowSeconds: 60, max: 10_000 } },
      participation: { urp: { postsPerClient: { windowSeconds: 60, max: 10_000 } } },
    });
    desk = gateway.deps.participation.urp;
    reportRef = (
      await desk.fileForCitizen(
        CITIZEN,
        {
          kind: 'report',
          topic: 'roads',
          body: 'c_g999',
          text: SECRET_TEXT,
          address: 'Via Roma 5',
          lat: 43.88,
          lon: 11.1,
        },
        'it',
      )
    ).ref;
    privateRef = (
      await desk.fileForCitizen(
        CITIZEN,
        { kind: 'complaint', topic: 'taxes', body: 'c_g999', text: 'Reclamo riservato.' },
        'it',
      )
    ).ref;
  });
  after(async () => {
    await gateway.close();
    await smtp.close();
  });

  it('admins issue an API key, shown once; others cannot', async () => {
    const admin = await logIn(gateway.app, ADMIN);
    const page = (await admin.get('/admin/urp').expect(200)).text;
    const issued = await admin
      .post('/admin/urp/apps')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page), name: 'Segnala Prato' })
      .expect(200);
    apiKey = cheerio.load(issued.text)('.varco-urp-app-key').text();
    expect(apiKey).to.match(/^[A-Za-z0-9_-]{43}$/);
    const again = (await admin.get('/admin/urp').expect(200)).text;
    expect(again).to.not.contain(apiKey);
    expect(again).to.contain('Segnala Prato');
    const citizen = await logIn(gateway.app, CITIZEN);
    const html = (await citizen.get('/urp/new').expect(200)).text;
    await citizen
      .post('/admin/urp/apps')
      .type('form')
      .send({ _csrf: csrfTokenFrom(html), name: 'x' })
      .expect(403);
  });

  it('describes itself: discovery, services (kinds × topics) and a service definition', async () => {
    const openApi = await request(gateway.app).get(`${BASE}/openapi.json`).expect(200);
    expect(openApi.body.openapi).to.equal('3.1.0');
    expect(Object.keys(openApi.body.paths)).to.include.members([
      '/services.json',
      '/requests.json',
      '/tokens/{token}.json',
    ]);
    const discovery = await request(gateway.app).get(`${BASE}/discovery.json`).expect(200);
    expect(discovery.body.endpoints[0].specification).to.equal('http://wiki.open311.org/GeoReport_v2');
    const services = await request(gateway.app).get(`${BASE}/services.json`).expect(200);
    expect(services.body).to.have.length(48);
    expect(services.body.map((s: { service_code: string }) => s.service_code)).to.include('report.roads');
    await request(gateway.app).get(`${BASE}/services.json?jurisdiction_id=c_g999`).expect(200);
    expectOpen311Error(
      await request(gateway.app).get(`${BASE}/services.json?jurisdiction_id=c_nowhere`),
      404,
    );
    const definition = await request(gateway.app).get(`${BASE}/services/report.waste.json`).expect(200);
    expect(definition.body).to.deep.equal({ service_code: 'report.waste', attributes: [] });
    expectOpen311Error(await request(gateway.app).get(`${BASE}/services/report.weather.json`), 404);
    expectOpen311Error(await request(gateway.app).get(`${BASE}/nothing.json`), 404);
  });

  it('lists reports with public fields only: no text, no address typed, no requester, no other kinds', async () => {
    const list = await request(gateway.app).get(`${BASE}/requests.json`).expect(200);
    const ids = list.body.map((r: { service_request_id: string }) => r.service_request_id);
    expect(ids).to.include(reportRef);
    expect(ids).to.not.include(privateRef);
    const shown = JSON.stringify(list.body);
    for (const secret of ['buca', 'Mario', '3331234567', 'Via Roma', CITIZEN, 'Reclamo'])
      expect(shown).to.not.contain(secret);
    const one = await request(gateway.app).get(`${BASE}/requests/${reportRef}.json`).expect(200);
    expect(one.body[0]).to.include({
      service_request_id: reportRef,
      status: 'open',
      service_code: 'report.roads',
      lat: 43.88,
      long: 11.1,
    });
    expect(Object.keys(one.body[0]).sort()).to.deep.equal(
      [
        'agency_responsible',
        'expected_datetime',
        'lat',
        'long',
        'requested_datetime',
        'service_code',
        'service_name',
        'service_request_id',
        'status',
      ].sort(),
    );
    expectOpen311Error(await request(gateway.app).get(`${BASE}/requests/${privateRef}.json`), 404);
    expectOpen311Error(await request(gateway.app).get(`${BASE}/requests/URP-2026-999999.json`), 404);
    const filtered = await request(gateway.app).get(`${BASE}/requests.json?status=closed`).expect(200);
    expect(filtered.body).to.deep.equal([]);
    const byId = await request(gateway.app)
      .get(`${BASE}/requests.json?service_request_id=${reportRef},${privateRef}`)
      .expect(200);
    expect(byId.body.map((r: { service_request_id: string }) => r.service_request_id)).to.deep.equal([
      reportRef,
    ]);
    for (const bad of [
      'status=lost',
      'service_code=report',
      'start_date=yesterday',
      'service_request_id=1;drop',
      'start_date=2026-12-02T00:00:00Z&end_date=2026-12-01T00:00:00Z',
    ])
      expectOpen311Error(await request(gateway.app).get(`${BASE}/requests.json?${bad}`), 400);
  });

  it('refuses bad posts with Open311 errors and files nothing', async () => {
    const before = (await desk.store.queue('all', {}, { offset: 0, count: 1000 })).total;
    const good = {
      api_key: apiKey,
      service_code: 'report.waste',
      description: 'Rifiuti abbandonati sul marciapiede.',
      lat: '43.88',
      long: '11.09',
      email: 'app-user@example.it',
    };
    const cases: [Record<string, string>, number][] = [
      [{ ...good, api_key: 'wrong' }, 403],
      [{ ...good, api_key: '' }, 400],
      [{ ...good, service_code: 'report.weather' }, 400],
      [{ ...good, service_code: 'petition.roads' }, 400],
      [{ ...good, description: 'x'.repeat(4001) }, 400],
      [{ ...good, description: 'buca\u0000 profonda in strada' }, 400],
      [{ ...good, lat: '91' }, 400],
      [{ ...good, lat: '60', long: '11' }, 400],
      [{ ...good, long: '' }, 400],
      [{ ...good, email: 'nobody' }, 400],
      [{ ...good, jurisdiction_id: 'c_nowhere' }, 404],
    ];
    for (const [body, status] of cases)
      expectOpen311Error(
        await request(gateway.app).post(`${BASE}/requests.json`).type('form').send(body),
        status,
      );
    expect((await desk.store.queue('all', {}, { offset: 0, count: 1000 })).total).to.equal(before);
  });

  it('files a report from an app once the requester confirms by mail; the token then gives its id', async () => {
    const posted = await request(gateway.app)
      .post(`${BASE}/requests.json`)
      .send({
        api_key: apiKey,
        jurisdiction_id: 'c_g999',
        service_code: 'report.waste',
        description: 'Rifiuti abbandonati sul marciapiede.',
        lat: 43.88,
        long: 11.09,
        email: 'app-user@example.it',
      })
      .expect(201);
    const token = posted.body[0].token as string;
    expect(token).to.match(/^[0-9a-f]{32}$/);
    expect((await request(gateway.app).get(`${BASE}/tokens/${token}.json`).expect(200)).body).to.deep.equal([
      { token },
    ]);
    const mail = await smtp.next((m) => m.envelopeTo.includes('app-user@example.it'));
    const link = linkIn(mail, `${gateway.config.http.publicUrl}/urp/confirm?`);
    const visitor = request.agent(gateway.app);
    const page = await visitor.get(link.replace(gateway.config.http.publicUrl, '')).expect(200);
    await visitor
      .post('/urp/confirm')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), token: new URL(link).searchParams.get('token') })
      .expect(200);
    const filed = (await request(gateway.app).get(`${BASE}/tokens/${token}.json`).expect(200)).body[0];
    expect(filed.service_request_id).to.match(/^URP-\d{4}-\d{6}$/);
    const one = await request(gateway.app)
      .get(`${BASE}/requests/${filed.service_request_id}.json`)
      .expect(200);
    expect(one.body[0].service_code).to.equal('report.waste');
    expect((await desk.store.get(filed.service_request_id))?.channel).to.equal('open311');
    expectOpen311Error(await request(gateway.app).get(`${BASE}/tokens/nope.json`), 404);
  });
});
