import { expect } from 'chai';
import request from 'supertest';
import { createCredentials } from '../../src/registry/credentials.repository.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { testBody, testService } from './catalog-fixtures.ts';

describe('registration API /api/v1', () => {
  let gw: TestGateway;
  let tokenA = '';
  let tokenB = '';
  const actor = { kind: 'system' as const, id: 'test' };

  before(async () => {
    gw = await createTestGateway();
    const { writer } = gw.deps.catalog;
    await writer.putBody(actor, testBody('demo_api_a', 'a.example.it'), { status: 'approved', editors: [] });
    await writer.putBody(actor, testBody('demo_api_b', 'b.example.it'), { status: 'approved', editors: [] });
    const credentials = createCredentials(gw.redis);
    tokenA = (await credentials.issue('demo_api_a')).token;
    tokenB = (await credentials.issue('demo_api_b')).token;
  });
  after(() => gw.close());

  const api = (method: 'get' | 'put' | 'post', path: string, token: string) =>
    request(gw.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${token}`);

  it('creates (201), replaces idempotently (200), publishes and withdraws a service', async () => {
    const created = await api('put', '/services/a-servizio', tokenA)
      .send(testService('a.example.it'))
      .expect(201);
    expect(created.body).to.include({ id: 'a-servizio', bodyId: 'demo_api_a', status: 'draft' });
    const again = await api('put', '/services/a-servizio', tokenA)
      .send(testService('a.example.it'))
      .expect(200);
    expect(again.body.updatedAt).to.equal(created.body.updatedAt);
    const audit = await gw.deps.catalog.repository.auditOf('service', 'a-servizio');
    expect(audit.map((r) => r.action)).to.deep.equal(['service.create']);
    expect(audit[0]?.actor).to.equal('client:demo_api_a');
    await api('post', '/services/a-servizio/publish', tokenA).expect(200);
    const found = await request(gw.app)
      .get('/services?q=servizio%20di%20prova')
      .set('Accept', 'application/json');
    expect(found.body.results.map((r: { id: string }) => r.id)).to.include('a-servizio');
    await api('post', '/services/a-servizio/withdraw', tokenA).expect(200);
    await request(gw.app).get('/services/a-servizio').expect(404);
  });

  it("never lets a body read or change another body's services", async () => {
    await api('put', '/services/a-privato', tokenA).send(testService('a.example.it')).expect(201);
    for (const [method, path] of [
      ['get', '/services/a-privato'],
      ['post', '/services/a-privato/publish'],
      ['post', '/services/a-privato/withdraw'],
    ] as const) {
      const res = await api(method, path, tokenB).expect(404);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    }
    await api('put', '/services/a-privato', tokenB).send(testService('b.example.it')).expect(403);
    const listB = await api('get', '/services', tokenB).expect(200);
    expect(listB.body.services.map((s: { bodyId: string }) => s.bodyId)).to.satisfy((ids: string[]) =>
      ids.every((id) => id === 'demo_api_b'),
    );
    const still = await api('get', '/services/a-privato', tokenA).expect(200);
    expect(still.body.deepLink).to.deep.equal({ url: 'https://a.example.it/servizio' });
  });

  it('refuses missing, malformed, wrong and revoked credentials, and suspended bodies', async () => {
    await request(gw.app)
      .get('/api/v1/services')
      .expect(401)
      .expect('WWW-Authenticate', /Bearer/);
    await api('get', '/services', 'garbage').expect(401);
    await api('get', '/services', `${tokenA.split('.')[0]}.${'A'.repeat(43)}`).expect(401);
    await api('get', '/services', tokenA).set('Authorization', `Basic ${tokenA}`).expect(401);
    const credentials = createCredentials(gw.redis);
    const extra = await credentials.issue('demo_api_b');
    await api('get', '/services', extra.token).expect(200);
    await credentials.revoke('demo_api_b', extra.clientId);
    await api('get', '/services', extra.token).expect(401);
    const stored = await gw.redis.client.hGetAll(
      `${gw.config.redis.prefix}registry:client:${extra.clientId}`,
    );
    expect(JSON.stringify(stored)).not.to.contain(extra.secret);
    await gw.deps.catalog.writer.setBodyStatus(actor, 'demo_api_b', 'suspended');
    await api('get', '/services', tokenB).expect(403);
    await gw.deps.catalog.writer.setBodyStatus(actor, 'demo_api_b', 'approved');
  });

  it('rejects hostile payloads with problem+json and changes nothing', async () => {
    const base = testService('a.example.it');
    let nested: unknown = 'x';
    for (let i = 0; i < 2000; i++) nested = { a: nested };
    const cases: Array<[string, unknown, number]> = [
      ['javascript', { ...base, deepLink: { url: 'javascript:alert(1)' } }, 422],
      ['data', { ...base, deepLink: { url: 'data:text/html,<script>1</script>' } }, 422],
      ['http', { ...base, deepLink: { url: 'http://a.example.it/x' } }, 200],
      ['other-host', { ...base, deepLink: { url: 'https://evil.example/x' } }, 422],
      ['userinfo', { ...base, deepLink: { url: 'https://a.example.it@evil.example/x' } }, 422],
      ['wrong-types', { ...base, title: 'not an object', topics: [1, 2] }, 422],
      ['unknown-field', { ...base, bodyId: 'demo_api_b' }, 422],
      ['nested', { ...base, infoSheet: nested }, 422],
      ['huge', { ...base, description: { it: 'x'.repeat(200_000), en: 'y' } }, 413],
      ['array', [base], 422],
    ];
    for (const [name, payload, status] of cases) {
      const res = await api('put', `/services/a-ostile-${name}`, tokenA).send(payload as object);
      // Demo mode allows http; outside demo mode it is refused (tested below).
      expect(res.status, name).to.equal(status === 200 ? 201 : status);
      if (status !== 200) expect(res.headers['content-type'], name).to.match(/^application\/problem\+json/);
    }
    await api('put', '/services/NOT_VALID', tokenA).send(base).expect(400);
    const stored = await gw.deps.catalog.repository.listServices();
    expect(stored.filter((s) => s.id.startsWith('a-ostile-')).map((s) => s.id)).to.deep.equal([
      'a-ostile-http',
    ]);
  });

  it("PUT /body replaces the body's own profile, idempotently, and nothing the network decides", async () => {
    const { kind, territory, contacts } = testBody('demo_api_a', 'a.example.it');
    const profile = {
      kind,
      territory,
      name: { it: 'Ente <i>A</i> rinnovato', en: 'Body A renewed' },
      contacts: { ...contacts, phone: '+39 0574 1234567' },
      office: {
        name: { it: 'Sportello unico', en: 'One-stop desk' },
        address: 'Via Roma 1, 59100 Prato',
        openingHours: ['Mo-Fr 09:00-13:00'],
      },
    };
    const first = await api('put', '/body', tokenA).send(profile).expect(200);
    expect(first.body).to.include({ ipaCode: 'demo_api_a', status: 'approved' });
    expect(first.body.domains).to.deep.equal(['a.example.it']);
    expect(first.body.office.openingHours).to.deep.equal(['Mo-Fr 09:00-13:00']);
    const again = await api('put', '/body', tokenA).send(profile).expect(200);
    expect(again.body.updatedAt).to.equal(first.body.updatedAt);
    const audit = await gw.deps.catalog.repository.auditOf('body', 'demo_api_a');
    expect(audit.filter((r) => r.action === 'body.profile')).to.have.length(1);
    expect(audit[0]?.actor).to.equal('client:demo_api_a');

    const refused: Array<[string, unknown]> = [
      ['domains', { ...profile, domains: ['evil.example'] }],
      ['status', { ...profile, status: 'approved' }],
      ['editors', { ...profile, editors: ['RSSMRA80A01H501U'] }],
      ['ipaCode', { ...profile, ipaCode: 'demo_api_b' }],
      ['javascript', { ...profile, contacts: { ...profile.contacts, website: 'javascript:alert(1)' } }],
      ['data-logo', { ...profile, logo: 'data:image/svg+xml,<svg onload=alert(1)>' }],
      ['hours', { ...profile, office: { ...profile.office, openingHours: ['sempre'] } }],
      ['wrong-types', { ...profile, name: 'A', kind: 42 }],
      ['array', [profile]],
    ];
    for (const [label, payload] of refused) {
      const res = await api('put', '/body', tokenA).send(payload as object);
      expect(res.status, label).to.equal(422);
      expect(res.headers['content-type'], label).to.match(/^application\/problem\+json/);
    }
    const stored = await gw.deps.catalog.repository.getBody('demo_api_a');
    expect(stored?.updatedAt).to.equal(first.body.updatedAt);
    expect(stored?.domains).to.deep.equal(['a.example.it']);
    // The other body is untouched by A's writes and changes only itself.
    expect((await gw.deps.catalog.repository.getBody('demo_api_b'))?.name.it).to.equal('Ente demo_api_b');
    // The new name reaches the catalog at once, as text.
    await api('post', '/services/a-privato/publish', tokenA).expect(200);
    const page = await request(gw.app).get('/services/a-privato').expect(200);
    expect(page.text).not.to.contain('<i>A</i>');
    expect(page.text).to.contain('Ente &lt;i&gt;A&lt;/i&gt; rinnovato');
  });

  it('outside demo mode accepts only https links', async () => {
    const prod = await createTestGateway({ demo: false });
    try {
      const { writer } = prod.deps.catalog;
      await writer.putBody(actor, testBody('demo_api_c', 'c.example.it'), {
        status: 'approved',
        editors: [],
      });
      const token = (await createCredentials(prod.redis).issue('demo_api_c')).token;
      const http = { ...testService('c.example.it'), deepLink: { url: 'http://c.example.it/x' } };
      const res = await request(prod.app)
        .put('/api/v1/services/c-http')
        .set('Authorization', `Bearer ${token}`)
        .send(http)
        .expect(422);
      expect(res.body.code).to.equal('link_rejected');
      const { name, kind, territory, contacts } = testBody('demo_api_c', 'c.example.it');
      const httpSite = { name, kind, territory, contacts: { ...contacts, website: 'http://c.example.it' } };
      await request(prod.app)
        .put('/api/v1/body')
        .set('Authorization', `Bearer ${token}`)
        .send(httpSite)
        .expect(422);
    } finally {
      await prod.close();
    }
  });

  it('is rate limited: problem+json 429 with Retry-After, counted before credentials are checked', async () => {
    const limited = await createTestGateway({ rateLimit: { api: { windowSeconds: 60, max: 3 } } });
    try {
      await limited.deps.catalog.writer.putBody(actor, testBody('demo_api_d', 'd.example.it'), {
        status: 'approved',
        editors: [],
      });
      const token = (await createCredentials(limited.redis).issue('demo_api_d')).token;
      const call = (auth: string) =>
        request(limited.app).get('/api/v1/services').set('Authorization', `Bearer ${auth}`);
      await call(token).expect(200);
      await call('guessed.token').expect(401);
      await call(token).expect(200);
      const res = await call(token).expect(429);
      // The seconds until the 60 s window's counter resets (59 when a second boundary passed meanwhile).
      expect(Number(res.headers['retry-after'])).to.be.within(59, 60);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body).to.include({ status: 429 });
      // Writes are refused too, and change nothing.
      await request(limited.app)
        .put('/api/v1/services/d-servizio')
        .set('Authorization', `Bearer ${token}`)
        .send(testService('d.example.it'))
        .expect(429);
      expect(await limited.deps.catalog.repository.getService('d-servizio')).to.equal(undefined);
    } finally {
      await limited.close();
    }
  });

  it('publishes an OpenAPI 3.1 document generated from the validating schemas', async () => {
    const res = await request(gw.app).get('/api/v1/openapi.json').expect(200);
    expect(res.body.openapi).to.equal('3.1.0');
    expect(Object.keys(res.body.paths)).to.include('/services/{serviceId}');
    const input = res.body.components.schemas.ServiceInput;
    expect(input.additionalProperties).to.equal(false);
    expect(input.properties.requiredLevel.enum).to.deep.equal(['none', 'L1', 'L2', 'L3']);
    expect(input.properties.lifeEvents.items.enum).to.include('birth');
    expect(input.required).to.include.members(['title', 'deepLink', 'infoSheet']);
    const profile = res.body.components.schemas.BodyProfile;
    expect(profile.additionalProperties).to.equal(false);
    expect(Object.keys(profile.properties)).to.include.members(['name', 'contacts', 'office']);
    expect(Object.keys(profile.properties)).not.to.include.members(['ipaCode', 'domains', 'status']);
    expect(res.body.paths['/body'].put.requestBody.content['application/json'].schema.$ref).to.equal(
      '#/components/schemas/BodyProfile',
    );
  });
});
