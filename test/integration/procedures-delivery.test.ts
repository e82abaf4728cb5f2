import { expect } from 'chai';
import { SignJWT, generateKeyPair } from 'jose';
import request from 'supertest';
import { normaliseFiscalCode } from '../../src/identity/citizen.ts';
import { childFiscalCode } from '../../src/demo/body-systems/child-fiscal-code.ts';
import { validatePage, italianToday } from '../../src/procedures/form.ts';
import { DELIVERY_KEYS_PATH, DELIVERY_TYPE } from '../../src/procedures/delivery-signer.ts';
import type { SingleClient } from '../../src/platform/redis.ts';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/platform/logger.ts';
import { createDemoReporter, type OwedReport } from '../../src/demo/body-systems/demo-reporter.ts';
import { createCredentials } from '../../src/registry/credentials.repository.ts';
import { createCaseService, referenceOf } from '../../src/procedures/case.service.ts';
import { buildProcedures } from '../../src/procedures/procedures.module.ts';
import { reencryptAll } from '../../src/procedures/rekey.ts';
import { createDataCipher } from '../../src/citizen/data-cipher.ts';
import { loadDataKeys } from '../../src/citizen/secrets.ts';
import { createAccounts } from '../../src/sso/accounts.repository.ts';
import { createTestGateway, testCitizen, testConfig } from '../helpers/gateway.ts';
import { eventually, finished, newbornForm, startDeliveringGateway } from '../helpers/procedures.ts';

type Gateway = Awaited<ReturnType<typeof startDeliveringGateway>>;

/** Every value stored under the gateway's prefix, whatever the key's type, as one text. */
async function everythingStored(gateway: Gateway): Promise<string> {
  const client = gateway.redis.client as SingleClient;
  let all = '';
  for await (const keys of client.scanIterator({ MATCH: `${gateway.config.redis.prefix}*`, COUNT: 500 })) {
    for (const key of keys) {
      const type = await client.type(key);
      all += `${key}\n`;
      if (type === 'string') all += `${await client.get(key)}\n`;
      if (type === 'hash') all += `${JSON.stringify(await client.hGetAll(key))}\n`;
      if (type === 'list') all += `${(await client.lRange(key, 0, -1)).join('\n')}\n`;
      if (type === 'zset' || type === 'set')
        all += `${(type === 'zset' ? await client.zRange(key, 0, -1) : await client.sMembers(key)).join('\n')}\n`;
      if (type === 'stream') all += `${JSON.stringify(await client.xRange(key, '-', '+'))}\n`;
    }
  }
  return all;
}

describe('composite procedures: the newborn bundle through the engine and the demo body systems', function () {
  this.timeout(30_000);
  let gateway: Gateway;
  const parent = testCitizen({ fiscalCode: 'RSSMRA80A01H501U' });

  before(async () => {
    gateway = await startDeliveringGateway();
  });
  after(async () => {
    await gateway.stop();
  });

  const newborn = () => {
    const procedure = gateway.deps.procedures.procedures.get('newborn');
    if (!procedure) throw new Error('newborn not loaded');
    return procedure;
  };

  it('the form fixture passes the form validation page by page (so the tests file real cases)', () => {
    const form = newbornForm();
    const today = italianToday(new Date());
    for (const page of newborn().definition.form.pages) {
      const posted = Object.fromEntries(
        page.fields.map((f) => [f.id, form[f.id] === true ? 'yes' : String(form[f.id] ?? '')]),
      );
      expect(validatePage(page, posted, today).errors, page.id).to.deep.equal([]);
    }
  });

  it('delivers every step in dependency order, feeds the child fiscal code forward and completes the case', async () => {
    const record = await gateway.deps.procedures.cases.confirm(newborn(), parent, newbornForm());
    expect(record.steps['birth-registration']?.status).to.equal('queued');
    expect(record.steps['health-enrolment']?.status).to.equal('waiting');

    const done = await finished(gateway, record.id);
    expect(done.status).to.equal('completed');
    expect(Object.values(done.steps).map((s) => s.status)).to.deep.equal(Array(5).fill('completed'));

    const outputs = await gateway.deps.procedures.cases.outputs(done);
    const expected = childFiscalCode({
      givenName: 'Giulia',
      familyName: 'Bianchi',
      sex: 'F',
      birthDate: String(newbornForm().birthDate),
      municipalityCode: 'G999',
    });
    expect(outputs['birth-registration']?.childFiscalCode).to.equal(expected);
    expect(normaliseFiscalCode(expected)).to.equal(expected);
    expect(outputs['health-enrolment']?.paediatrician).to.equal('Dott.ssa Anna Bellini');
    expect(outputs['assegno-unico']?.applicationNumber).to.match(/^INPS-AUU-\d{4}-\d{9}$/);

    // The history tells the order: no dependent step was queued before the birth was registered.
    const history = await gateway.deps.procedures.cases.history(record.id);
    const index = (step: string, status: string) =>
      history.findIndex((e) => e.step === step && e.status === status);
    expect(index('birth-registration', 'completed')).to.be.greaterThan(-1);
    for (const step of ['health-enrolment', 'assegno-unico', 'birth-bonus', 'nursery-enrolment'])
      expect(index(step, 'queued')).to.be.greaterThan(index('birth-registration', 'completed'));
    expect(history.at(-1)?.status).to.equal('completed');
    // INPS's demo system acknowledges and reports later through the API, with its own credential.
    for (const step of ['assegno-unico', 'birth-bonus'])
      expect(index(step, 'accepted'), step).to.be.greaterThan(-1).and.lessThan(index(step, 'completed'));
    expect(index('health-enrolment', 'accepted')).to.equal(-1);
    expect(await gateway.deps.procedures.repository.listOpen()).to.not.deep.include({ id: record.id });
  });

  it("keeps personal data only encrypted: the raw Redis content holds none of the form, the outputs or the parent's fiscal code", async () => {
    const form = newbornForm({ childGivenName: 'Ottavia', residenceAddress: 'Via dei Tintori 3, Prato' });
    const record = await gateway.deps.procedures.cases.confirm(newborn(), parent, form);
    const done = await finished(gateway, record.id);
    const childCode = (await gateway.deps.procedures.cases.outputs(done))['birth-registration']
      ?.childFiscalCode;
    const raw = await everythingStored(gateway);
    expect(raw).to.include(record.id); // the scan did see the case
    const secrets = ['Ottavia', 'Tintori', 'IT60X0542811101000000123456', 'BNCLCU85M10G999Z', childCode];
    for (const secret of [...secrets, parent.fiscalCode])
      expect(raw, String(secret)).to.not.include(String(secret));
  });

  it('purges personal data when the case is complete and keeps the status history', async () => {
    const purging = await startDeliveringGateway({ procedures: { retainDataSeconds: 0 } });
    try {
      const procedure = purging.deps.procedures.procedures.get('newborn');
      const record = await purging.deps.procedures.cases.confirm(procedure!, parent, newbornForm());
      const done = await finished(purging, record.id);
      expect(done.status).to.equal('completed');
      expect(await purging.deps.procedures.repository.data(record.id)).to.deep.equal({});
      const history = await purging.deps.procedures.cases.history(record.id);
      expect(history.filter((e) => e.status === 'completed')).to.have.length(6);
    } finally {
      await purging.stop();
    }
  });

  it('another citizen can neither see nor find the case', async () => {
    const record = await gateway.deps.procedures.cases.confirm(newborn(), parent, newbornForm());
    const cases = gateway.deps.procedures.cases;
    expect(await cases.caseOf(parent.fiscalCode, record.id)).to.include({ id: record.id });
    expect(await cases.caseOf('BNCLCU85M10G999Z', record.id)).to.equal(undefined);
    expect(await gateway.deps.procedures.repository.listByCitizen('BNCLCU85M10G999Z')).to.deep.equal([]);
    expect(await gateway.deps.procedures.repository.listByCitizen(parent.fiscalCode)).to.include(record.id);
    await finished(gateway, record.id);
  });

  it('recovers a case whose steps were written but never enqueued (a crash in between)', async () => {
    const { procedures: engine } = gateway.deps;
    const crashing = createCaseService({
      procedures: engine.procedures,
      repository: engine.repository,
      cipher: engine.cipher,
      endpoints: async () => ({ url: 'http://unused.invalid', status: 'active' }),
      enqueue: async () => undefined, // the process died before the queue heard of the case
      retainDataSeconds: 60,
    });
    const record = await crashing.confirm(newborn(), parent, newbornForm());
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await engine.cases.get(record.id))?.steps['birth-registration']?.status).to.equal('queued');
    const recovered = await engine.cases.recover();
    expect(recovered.jobs).to.be.greaterThan(0);
    expect((await finished(gateway, record.id)).status).to.equal('completed');
  });

  it('publishes the delivery keys as a JWK Set without private parts', async () => {
    const res = await request(gateway.app).get(DELIVERY_KEYS_PATH).expect(200);
    expect(res.headers['content-type']).to.match(/^application\/jwk-set\+json/);
    const [key] = res.body.keys as Array<Record<string, string>>;
    expect(key).to.include({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key).to.not.have.property('d');
  });

  it('demo body systems refuse a delivery signed with another key, for another body, or without its key', async () => {
    const path = '/demo/bodies/c_g999/stato-civile-nascite';
    const forger = await generateKeyPair('ES256');
    const forged = await new SignJWT({ case: 'X', step: 'newborn.birth-registration', data: {}, inputs: {} })
      .setProtectedHeader({
        alg: 'ES256',
        typ: DELIVERY_TYPE,
        kid: (await request(gateway.app).get(DELIVERY_KEYS_PATH)).body.keys[0].kid,
      })
      .setIssuer(gateway.url)
      .setAudience('c_g999')
      .setJti('X.birth-registration')
      .setExpirationTime('5m')
      .sign(forger.privateKey);
    const send = (token: string, key = 'X.birth-registration') =>
      request(gateway.app)
        .post(path)
        .set('content-type', 'application/jwt')
        .set('idempotency-key', key)
        .send(token);
    expect((await send(forged)).status).to.equal(401);
    expect((await send('not.a.jwt')).status).to.equal(401);

    const signer = gateway.deps.procedures.signer;
    const id = 'ABCDEFGHJKMNPQRS';
    const claims = {
      case: id,
      reference: referenceOf(id),
      procedure: { id: 'newborn', version: 1 },
      step: 'newborn.birth-registration',
      applicant: {},
      data: {},
      inputs: {},
      reportUrl: `${gateway.url}/api/v1/cases/${id}/steps/birth-registration/result`,
    };
    const jti = `${id}.birth-registration`;
    const forInps = await signer.sign(claims, { audience: 'inps', jti });
    expect((await send(forInps, jti)).status).to.equal(401);
    const genuine = await signer.sign(claims, { audience: 'c_g999', jti });
    expect((await send(genuine, 'another-key')).status).to.equal(400);
    const malformed = await signer.sign({ ...claims, data: 'x' }, { audience: 'c_g999', jti });
    expect((await send(malformed, jti)).status).to.equal(400);
    const wrongStep = await signer.sign(
      { ...claims, step: 'newborn.assegno-unico' },
      { audience: 'c_g999', jti: `${id}.assegno-unico` },
    );
    expect((await send(wrongStep, `${id}.assegno-unico`)).status).to.equal(422);
    const incomplete = await send(genuine, jti).expect(200); // a verified delivery, but no child in it
    expect(incomplete.body).to.include({ status: 'rejected' });
  });

  it('rotates data keys: old data readable with the new key in front, re-encrypted, then the old key can go', async function () {
    // A gateway and three engines built, a case delivered and every value re-encrypted: under a loaded
    // machine's parallel test workers this took over 30 s once.
    this.timeout(90_000);
    const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`; // test-only keys
    const [k1, k2] = [key('k1'), key('k2')];
    const before = await startDeliveringGateway({ citizen: { dataKeys: [k1] } });
    const engines: Array<Awaited<ReturnType<typeof buildProcedures>>> = [];
    const engineWith = async (dataKeys: string[]) => {
      const config = testConfig({
        redis: { prefix: before.config.redis.prefix },
        citizen: { dataKeys },
        procedures: { delivery: { workers: false } },
      });
      const engine = await buildProcedures(config, createLogger('silent'), before.redis, before.deps.catalog);
      engines.push(engine);
      return engine;
    };
    try {
      const procedure = before.deps.procedures.procedures.get('newborn')!;
      const record = await finished(
        before,
        (await before.deps.procedures.cases.confirm(procedure, parent, newbornForm())).id,
      );
      // The SSO account is encrypted with the same keys, and re-encrypted with the cases.
      const account = testCitizen({ email: 'mario@example.it' });
      await before.deps.sso.accounts.save(account);
      const accountKey = before.deps.citizen.keys.key(account.fiscalCode, 'sso-account');
      const stored = async () => [
        ...Object.values(await before.deps.procedures.repository.data(record.id)),
        (await before.redis.client.get(accountKey)) ?? '',
      ];
      expect((await stored()).every((v) => v.startsWith('v1.k1.'))).to.equal(true);
      const expected = await before.deps.procedures.cases.outputs(record);

      const rotated = await engineWith([k2, k1]);
      expect(await rotated.cases.outputs(record)).to.deep.equal(expected);
      const { values } = await reencryptAll(before.redis, rotated.cipher);
      expect(values).to.equal((await stored()).length);
      expect((await stored()).every((v) => v.startsWith('v1.k2.'))).to.equal(true);
      const withNewKeyOnly = createAccounts(
        before.redis,
        before.deps.citizen.keys,
        createDataCipher(loadDataKeys(testConfig({ citizen: { dataKeys: [k2] } }).citizen, 'test')),
        { ttlSeconds: 60 },
      );
      expect(await withNewKeyOnly.find(account.fiscalCode)).to.include({ email: 'mario@example.it' });

      expect(await (await engineWith([k2])).cases.outputs(record)).to.deep.equal(expected);
      const withOldKeyOnly = await engineWith([k1]);
      let refused = false;
      await withOldKeyOnly.cases.outputs(record).catch(() => (refused = true));
      expect(refused).to.equal(true);
    } finally {
      for (const engine of engines) await engine.close();
      await before.stop();
    }
  });

  it('mounts no demo body systems outside demo mode', async () => {
    const plain = await createTestGateway({ demo: false });
    try {
      const res = await request(plain.app)
        .post('/demo/bodies/c_g999/stato-civile-nascite')
        .set('content-type', 'application/jwt')
        .send('x.y.z');
      expect(res.status).to.equal(404); // nothing there looked at the token (that would be a 401)
    } finally {
      await plain.close();
    }
  });

  it("keeps a demo body's owed report in Redis while it is sent, until the gateway has taken it", async () => {
    const gateway = await startDeliveringGateway({});
    const { redis } = gateway;
    const owedKey = `${redis.prefix}demo:bodies:reports`;
    // The "gateway" this reporter reports to: refuses the first try (503), takes the second; each time
    // noting whether the report was still owed in Redis while it was being sent.
    const stillOwed: number[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      redis.client.zCard(owedKey).then(
        (owed) => {
          stillOwed.push(owed);
          res.writeHead(stillOwed.length === 1 ? 503 : 200).end();
        },
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const reporter = createDemoReporter({
      redis,
      credentials: createCredentials(redis),
      publicUrl: url,
      logger: createLogger('silent'),
    });
    try {
      await gateway.deps.demo!.reporter!.close(); // only this reporter sends
      const report = {
        step: 'newborn.assegno-unico',
        status: 'completed',
      } as unknown as OwedReport['report'];
      await reporter.owe({ body: 'c_g999', reportUrl: `${url}/api/v1/reports`, report }, 0);
      await eventually(async () => ((await redis.client.zCard(owedKey)) === 0 ? true : undefined), 20_000);
      // Before: taken out of Redis first, so a crash or Redis failing while it was sent lost it.
      expect(stillOwed).to.deep.equal([1, 1]);
    } finally {
      await reporter.close();
      server.close();
      await gateway.stop();
    }
  });

  it("keeps the demo bodies' owed reports across a restart of the process that owed them", async () => {
    const slow = await startDeliveringGateway({ procedures: { demoBodySystems: { delayMs: 1500 } } });
    const { redis, config } = slow;
    const successor = createDemoReporter({
      redis,
      credentials: createCredentials(redis),
      publicUrl: config.http.publicUrl,
      logger: createLogger('silent'),
    });
    try {
      const procedure = slow.deps.procedures.procedures.get('newborn')!;
      const record = await slow.deps.procedures.cases.confirm(procedure, parent, newbornForm());
      await eventually(async () => {
        const current = await slow.deps.procedures.cases.get(record.id);
        return current?.steps['assegno-unico']?.status === 'accepted' ? true : undefined;
      });
      await slow.deps.demo!.reporter!.close(); // the instance that owes the report goes away
      await successor.resume();
      const done = await finished(slow, record.id);
      expect(done.steps['assegno-unico']?.status).to.equal('completed');
    } finally {
      await successor.close();
      await slow.stop();
    }
  });
});
