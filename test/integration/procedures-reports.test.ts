import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { childFiscalCode } from '../../src/demo/body-systems/child-fiscal-code.ts';
import { referenceOf } from '../../src/procedures/case.service.ts';
import { createCredentials } from '../../src/registry/credentials.repository.ts';
import { csrfTokenFrom, testCitizen } from '../helpers/gateway.ts';
import { startSmtpServer, type SmtpTestServer } from '../helpers/smtp.ts';
import {
  eventually,
  finished,
  newbornForm,
  startDeliveringGateway,
  testBodySystem,
} from '../helpers/procedures.ts';

type Gateway = Awaited<ReturnType<typeof startDeliveringGateway>>;
const ADMIN = 'VRDLGU70A01G999W';
const ADMIN_EMAIL = 'rete@varco.example.it';
const SYSTEM = { kind: 'system', id: 'test' } as const;
/** A valid fiscal code (check character included), as the Comune would issue. */
const VALID_CHILD_CODE = childFiscalCode({
  givenName: 'Giulia',
  familyName: 'Bianchi',
  sex: 'F',
  birthDate: '2026-01-01',
  municipalityCode: 'G999',
});

describe('composite procedures: deliveries to bodies, reports, retries and dead letters', function () {
  this.timeout(40_000);
  let gateway: Gateway;
  /** Plays the Comune's civil-status system: down, failing, or registering the birth. */
  let registryMode: 'complete' | 'fail' | 'refuse' = 'complete';
  let registryBody: ReturnType<typeof testBodySystem>;
  let inpsBody: ReturnType<typeof testBodySystem>;
  let tokens: Record<string, string>;
  let smtp: SmtpTestServer;

  before(async () => {
    smtp = await startSmtpServer();
    gateway = await startDeliveringGateway({
      registry: { admins: [ADMIN], adminEmails: [ADMIN_EMAIL] },
      mail: { smtpUrl: smtp.url, queue: { workers: true } },
      procedures: { delivery: { attempts: 5, backoffMs: 100 } },
    });
    registryBody = testBodySystem(gateway.url, () =>
      registryMode === 'complete'
        ? {
            status: 200,
            body: {
              status: 'completed',
              outputs: { childFiscalCode: VALID_CHILD_CODE, birthRecord: 'Atto 1' },
            },
          }
        : { status: registryMode === 'fail' ? 503 : 400 },
    );
    // INPS only acknowledges (202, no report): it reports later through the API.
    inpsBody = testBodySystem(gateway.url, () => ({ status: 202 }));
    const writer = gateway.deps.catalog.writer;
    const title = { it: 'Endpoint di prova', en: 'Test endpoint' };
    await writer.putEndpoint(SYSTEM, 'c_g999', 'stato-civile-nascite', {
      title,
      url: await registryBody.start(),
      handles: ['newborn.birth-registration'],
    });
    await writer.putEndpoint(SYSTEM, 'inps', 'prestazioni-famiglia', {
      title,
      url: await inpsBody.start(),
      handles: ['newborn.assegno-unico', 'newborn.birth-bonus'],
    });
    const credentials = createCredentials(gateway.redis);
    tokens = {
      inps: (await credentials.issue('inps')).token,
      c_g999: (await credentials.issue('c_g999')).token,
      c_b794: (await credentials.issue('c_b794')).token,
    };
  });
  after(async () => {
    await registryBody.stop();
    await inpsBody.stop();
    await gateway.stop();
    await smtp.close();
  });

  const newborn = () => gateway.deps.procedures.procedures.get('newborn')!;
  const fileCase = () => gateway.deps.procedures.cases.confirm(newborn(), testCitizen(), newbornForm());
  const stepOf = async (caseId: string, step: string) =>
    (await gateway.deps.procedures.cases.get(caseId))?.steps[step]?.status;
  const stepReaches = (caseId: string, step: string, status: string) =>
    eventually(async () => ((await stepOf(caseId, step)) === status ? true : undefined));
  const report = (caseId: string, step: string, token: string | undefined, body: unknown) => {
    const req = request(gateway.app).post(`/api/v1/cases/${caseId}/steps/${step}/result`);
    if (token) req.set('authorization', `Bearer ${token}`);
    return req.send(body as object);
  };

  it('a body reports later through the API; outputs are kept; duplicates and late reports are harmless', async () => {
    registryMode = 'complete';
    const record = await fileCase();
    await stepReaches(record.id, 'assegno-unico', 'delivered');
    const delivery = inpsBody.received.find((d) => d.key === `${record.id}.assegno-unico`);
    expect(delivery?.claims.inputs).to.deep.equal({ 'birth-registration.childFiscalCode': VALID_CHILD_CODE });
    expect(delivery?.claims.aud).to.equal('inps');
    expect(Object.keys(delivery?.claims.data as object)).to.have.members([
      'childGivenName',
      'childFamilyName',
      'birthDate',
      'iban',
      'assegnoShare',
      'iseeDsuProtocol',
      'email',
    ]);

    const completed = { status: 'completed', outputs: { applicationNumber: 'INPS-AUU-1' } };
    const first = await report(record.id, 'assegno-unico', tokens.inps, completed).expect(200);
    expect(first.body).to.deep.equal({
      case: record.id,
      step: 'assegno-unico',
      status: 'completed',
      changed: true,
    });
    const again = await report(record.id, 'assegno-unico', tokens.inps, completed).expect(200);
    expect(again.body.changed).to.equal(false);
    const late = await report(record.id, 'assegno-unico', tokens.inps, { status: 'accepted' }).expect(200);
    expect(late.body).to.include({ changed: false, status: 'completed' });
    const outputs = await gateway.deps.procedures.cases.outputs(
      (await gateway.deps.procedures.cases.get(record.id))!,
    );
    expect(outputs['assegno-unico']).to.deep.equal({ applicationNumber: 'INPS-AUU-1' });

    await report(record.id, 'birth-bonus', tokens.inps, { status: 'accepted' }).expect(200);
    await report(record.id, 'birth-bonus', tokens.inps, {
      status: 'rejected',
      reason: 'ISEE oltre la soglia',
    }).expect(200);
    const closed = await finished(gateway, record.id);
    expect(closed.status).to.equal('closed');
    expect(closed.steps['birth-bonus']).to.include({ status: 'rejected', reason: 'ISEE oltre la soglia' });
  });

  it('refuses forged, misdirected and malformed reports with problem+json, changing nothing', async () => {
    registryMode = 'complete';
    const record = await fileCase();
    await stepReaches(record.id, 'assegno-unico', 'delivered');
    const ok = { status: 'completed', outputs: { applicationNumber: 'N-1' } };
    const cases: Array<[string, string, string | undefined, unknown, number]> = [
      [record.id, 'assegno-unico', undefined, ok, 401],
      [record.id, 'assegno-unico', 'nobody.secret', ok, 401],
      [record.id, 'assegno-unico', `${tokens.inps}x`, ok, 401],
      [record.id, 'assegno-unico', tokens.c_g999, ok, 403], // the Comune's own steps are elsewhere in the case
      [record.id, 'assegno-unico', tokens.c_b794, ok, 404], // a body with no step in this case
      [record.id, 'no-such-step', tokens.inps, ok, 404],
      [record.id, 'BAD_STEP', tokens.inps, ok, 404],
      ['0000000000000000', 'assegno-unico', tokens.inps, ok, 404],
      ['../../etc', 'assegno-unico', tokens.inps, ok, 404],
      [record.id, 'assegno-unico', tokens.inps, { status: 'completed', outputs: { wrong: 'x' } }, 422],
      [record.id, 'assegno-unico', tokens.inps, { status: 'completed' }, 422],
      [record.id, 'assegno-unico', tokens.inps, { status: 'rejected' }, 422],
      [record.id, 'assegno-unico', tokens.inps, { status: 'delivered' }, 422],
      [record.id, 'assegno-unico', tokens.inps, { ...ok, extra: 1 }, 422],
      [record.id, 'assegno-unico', tokens.inps, [ok], 422],
    ];
    for (const [caseId, step, token, body, status] of cases) {
      const res = await report(caseId, step, token, body);
      expect(res.status, `${caseId} ${step} ${token?.slice(0, 6)} ${JSON.stringify(body)}`).to.equal(status);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    }
    expect(await stepOf(record.id, 'assegno-unico')).to.equal('delivered');
    await report(record.id, 'assegno-unico', tokens.inps, ok).expect(200);
  });

  it('refuses outputs named after what every object inherits (422), like any other undeclared output', async () => {
    registryMode = 'complete';
    const record = await fileCase();
    await stepReaches(record.id, 'assegno-unico', 'delivered');
    const inherited = [
      'hasOwnProperty',
      'constructor',
      'toString',
      'valueOf',
      'isPrototypeOf',
      'propertyIsEnumerable',
      'toLocaleString',
      '__proto__',
      '__defineGetter__',
    ];
    for (const name of inherited) {
      // Written out as JSON text, so "__proto__" arrives as a key of its own.
      const body = `{"status":"completed","outputs":{"applicationNumber":"N-1",${JSON.stringify(name)}:"x"}}`;
      const res = await report(record.id, 'assegno-unico', tokens.inps, body).type('json');
      expect(res.status, name).to.equal(422);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    }
    expect(await stepOf(record.id, 'assegno-unico')).to.equal('delivered');
    expect(await gateway.deps.procedures.cases.outputs(record)).not.to.have.property('assegno-unico');
    await report(record.id, 'assegno-unico', tokens.inps, {
      status: 'completed',
      outputs: { applicationNumber: 'N-1' },
    }).expect(200);
  });

  it('a report about a step not yet delivered is refused (409)', async () => {
    registryMode = 'fail';
    const record = await fileCase();
    const res = await report(record.id, 'assegno-unico', tokens.inps, { status: 'accepted' });
    expect(res.status).to.equal(409);
    expect(await stepOf(record.id, 'assegno-unico')).to.equal('waiting');
    registryMode = 'complete';
    await stepReaches(record.id, 'assegno-unico', 'delivered');
  });

  it('an endpoint that is down gets its delivery when it comes back', async () => {
    registryMode = 'complete';
    const port = registryBody.port;
    await registryBody.stop();
    const record = await fileCase();
    await new Promise((resolve) => setTimeout(resolve, 400)); // a few refused attempts
    expect(await stepOf(record.id, 'birth-registration')).to.equal('queued');
    await registryBody.start(port);
    await stepReaches(record.id, 'birth-registration', 'completed');
    expect(registryBody.received.filter((d) => d.key === `${record.id}.birth-registration`)).to.have.length(
      1,
    );
  });

  it('after the last attempt the delivery is a dead letter the admin sees and retries (CSRF)', async () => {
    registryMode = 'fail';
    const record = await fileCase();
    const letter = await eventually(async () =>
      (await gateway.deps.procedures.queues.deadLetters()).find((l) => l.job.caseId === record.id),
    );
    expect(letter).to.include({ id: `${record.id}.birth-registration`, attempts: 5 });
    const history = await gateway.deps.procedures.cases.history(record.id);
    expect(history.some((e) => e.status === 'dead-lettered' && e.step === 'birth-registration')).to.equal(
      true,
    );

    const citizen = request.agent(gateway.app);
    await citizen.get('/__test/login?fiscalCode=RSSMRA80A01H501U').expect(200);
    await citizen.get('/admin/deliveries').expect(403);

    const admin = request.agent(gateway.app);
    await admin.get(`/__test/login?fiscalCode=${ADMIN}`).expect(200);
    const page = await admin.get('/admin/deliveries').expect(200);
    expect(page.text).to.include(`${record.id}.birth-registration`).and.include('endpoint answered 503');
    const form = { queue: letter.queue, id: letter.id };
    await admin.post('/admin/deliveries/retry').type('form').send(form).expect(403); // no CSRF token
    const csrf = csrfTokenFrom(page.text);
    await admin
      .post('/admin/deliveries/retry')
      .type('form')
      .send({ ...form, _csrf: csrf, queue: 'x' })
      .expect(400);
    await admin
      .post('/admin/deliveries/retry')
      .type('form')
      .send({ ...form, _csrf: csrf, id: '0000000000000000.birth-registration' })
      .expect(404);
    registryMode = 'complete';
    const retried = await admin
      .post('/admin/deliveries/retry')
      .type('form')
      .send({ ...form, _csrf: csrf })
      .expect(303);
    expect(retried.headers.location).to.equal('/admin/deliveries?retried=1');
    await stepReaches(record.id, 'birth-registration', 'completed');
    expect(
      (await gateway.deps.procedures.queues.deadLetters()).some((l) => l.job.caseId === record.id),
    ).to.equal(false);
  });

  it('a delivery the body refuses (4xx) is not retried: it goes straight to the dead letters', async () => {
    registryMode = 'refuse';
    const record = await fileCase();
    const letter = await eventually(async () =>
      (await gateway.deps.procedures.queues.deadLetters()).find((l) => l.job.caseId === record.id),
    );
    expect(letter.attempts).to.equal(1);
    expect(letter.reason).to.equal('endpoint refused the delivery with 400');
    // The network admins are told by mail, with the case's reference and the reason, no personal data.
    const notice = await smtp.next((m) => m.parsed.subject?.includes(referenceOf(record.id)) ?? false);
    expect(notice.envelopeTo).to.deep.equal([ADMIN_EMAIL]);
    expect(notice.parsed.subject).to.equal(`Consegna non riuscita: pratica ${referenceOf(record.id)}`);
    expect(notice.parsed.text)
      .to.contain('endpoint refused the delivery with 400')
      .and.contain('/admin/deliveries');
  });

  it('reads only the start of an answer without end: the delivery counts, and the connection is dropped', async () => {
    let sent = 0;
    let closed = false;
    const endless = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, '[');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      };
      res.on('drain', pump);
      res.on('close', () => (closed = true));
      pump();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', () => resolve()));
    const writer = gateway.deps.catalog.writer;
    const endpoint = (url: string) =>
      writer.putEndpoint(SYSTEM, 'c_g999', 'stato-civile-nascite', {
        title: { it: 'Endpoint di prova', en: 'Test endpoint' },
        url,
        handles: ['newborn.birth-registration'],
      });
    try {
      await endpoint(`http://127.0.0.1:${(endless.address() as AddressInfo).port}/deliveries`);
      const record = await fileCase();
      await stepReaches(record.id, 'birth-registration', 'delivered');
      await eventually(async () => (closed ? true : undefined));
      expect(sent).to.be.below(20_000_000); // the gateway stopped reading long before its 5 s timeout
      expect((await gateway.deps.procedures.cases.history(record.id)).map((e) => e.status)).to.not.include(
        'dead-lettered',
      );
    } finally {
      endless.closeAllConnections();
      await new Promise<void>((resolve) => endless.close(() => resolve()));
      await endpoint(`http://127.0.0.1:${registryBody.port}/deliveries`);
    }
  });

  it('documents the report operation in the OpenAPI document from the validating schemas', async () => {
    const res = await request(gateway.app).get('/api/v1/openapi.json').expect(200);
    const operation = res.body.paths['/cases/{caseId}/steps/{stepId}/result'].post;
    expect(operation.requestBody.content['application/json'].schema.$ref).to.equal(
      '#/components/schemas/StepReport',
    );
    const schema = res.body.components.schemas.StepReport;
    expect(schema.properties.status.enum).to.deep.equal(['accepted', 'completed', 'rejected']);
    expect(schema.additionalProperties).to.equal(false);
    expect(res.body.components.schemas.StepReportResult.required).to.include.members(['status', 'changed']);
    const delivery = res.body.webhooks.delivery.post;
    expect(delivery.requestBody.content).to.have.property('application/jwt');
    expect(res.body.components.schemas.Delivery.required).to.include.members([
      'case',
      'step',
      'data',
      'reportUrl',
    ]);
  });
});
