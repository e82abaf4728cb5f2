import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { readSeedCatalog, seedCatalog } from '../../src/demo/catalog-seed.ts';
import { createCredentials } from '../../src/registry/credentials.repository.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { testBody } from './catalog-fixtures.ts';

const actor = { kind: 'system' as const, id: 'test' };

const endpoint = (url = 'https://a.example.it/varco/steps') => ({
  title: { it: 'Anagrafe: nascite', en: 'Registry office: births' },
  url,
  handles: ['newborn.birth-registration'],
});

describe('procedure endpoints: registration API, repository and demo seed', () => {
  let gw: TestGateway;
  let tokenA = '';
  let tokenB = '';

  before(async () => {
    gw = await createTestGateway();
    const { writer } = gw.deps.catalog;
    await writer.putBody(actor, testBody('demo_ep_a', 'a.example.it'), { status: 'approved', editors: [] });
    await writer.putBody(actor, testBody('demo_ep_b', 'b.example.it'), { status: 'approved', editors: [] });
    const credentials = createCredentials(gw.redis);
    tokenA = (await credentials.issue('demo_ep_a')).token;
    tokenB = (await credentials.issue('demo_ep_b')).token;
  });
  after(() => gw.close());

  const api = (method: 'get' | 'put' | 'post', path: string, token: string) =>
    request(gw.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${token}`);

  it('creates (201, active), replaces idempotently (200), updates, disables and enables, audited', async () => {
    const created = await api('put', '/endpoints/nascite', tokenA).send(endpoint()).expect(201);
    expect(created.body).to.deep.include({
      id: 'nascite',
      bodyIpa: 'demo_ep_a',
      status: 'active',
      url: 'https://a.example.it/varco/steps',
      handles: ['newborn.birth-registration'],
    });
    expect(Object.keys(created.body).sort()).to.deep.equal(
      ['bodyIpa', 'handles', 'id', 'status', 'title', 'updatedAt', 'url'].sort(),
    );
    const again = await api('put', '/endpoints/nascite', tokenA).send(endpoint()).expect(200);
    expect(again.body.updatedAt).to.equal(created.body.updatedAt);

    const moved = endpoint('https://a.example.it/varco/v2/steps');
    await api('put', '/endpoints/nascite', tokenA).send(moved).expect(200);
    await api('post', '/endpoints/nascite/disable', tokenA).expect(200);
    // A replacement keeps the status: a disabled endpoint stays disabled.
    const replaced = await api('put', '/endpoints/nascite', tokenA)
      .send({ ...moved, handles: ['newborn.birth-registration', 'newborn.health-card'] })
      .expect(200);
    expect(replaced.body.status).to.equal('disabled');
    const enabled = await api('post', '/endpoints/nascite/enable', tokenA).expect(200);
    expect(enabled.body.status).to.equal('active');

    const trail = await gw.deps.catalog.repository.auditOf('endpoint', 'demo_ep_a/nascite');
    expect(trail.map((r) => r.action)).to.deep.equal([
      'endpoint.active',
      'endpoint.update',
      'endpoint.disabled',
      'endpoint.update',
      'endpoint.create',
    ]);
    expect(trail.every((r) => r.actor === 'client:demo_ep_a' && !Number.isNaN(Date.parse(r.at)))).to.equal(
      true,
    );
    expect(trail[3]?.changes).to.deep.equal({
      url: ['https://a.example.it/varco/steps', 'https://a.example.it/varco/v2/steps'],
    });
    expect(trail[2]?.changes).to.deep.equal({ status: ['active', 'disabled'] });
  });

  it('serves the contract on the dependency graph: get, listByBody, deliverable', async () => {
    await api('put', '/endpoints/contratto', tokenA).send(endpoint()).expect(201);
    const { endpoints, writer } = gw.deps.catalog;
    const found = await endpoints.get('demo_ep_a', 'contratto');
    expect(found).to.include({ id: 'contratto', bodyIpa: 'demo_ep_a', status: 'active' });
    expect(await endpoints.get('demo_ep_b', 'contratto')).to.equal(undefined);
    expect(await endpoints.get('demo_ep_a', '../../x')).to.equal(undefined);
    expect((await endpoints.listByBody('demo_ep_a')).map((e) => e.id)).to.include('contratto');
    expect(await endpoints.deliverable('demo_ep_a', 'contratto')).to.include({ id: 'contratto' });
    await writer.setEndpointStatus(actor, 'demo_ep_a', 'contratto', 'disabled');
    expect(await endpoints.deliverable('demo_ep_a', 'contratto')).to.equal(undefined);
    await writer.setEndpointStatus(actor, 'demo_ep_a', 'contratto', 'active');
    await writer.setBodyStatus(actor, 'demo_ep_a', 'suspended');
    try {
      expect(await endpoints.deliverable('demo_ep_a', 'contratto')).to.equal(undefined);
      // A suspended body's credentials stop working for endpoints too.
      await api('get', '/endpoints', tokenA).expect(403);
    } finally {
      await writer.setBodyStatus(actor, 'demo_ep_a', 'approved');
    }
    // A domain the admin withdraws takes its endpoints out of delivery, and gives them back when declared.
    const declared = (await gw.deps.catalog.repository.getBody('demo_ep_a'))!.domains;
    await writer.setBodyDomains(actor, 'demo_ep_a', ['other.example.it']);
    try {
      expect(await endpoints.deliverable('demo_ep_a', 'contratto')).to.equal(undefined);
      expect(await endpoints.target('demo_ep_a', 'contratto')).to.include({
        deliverable: false,
        reason: 'host-not-declared',
        host: 'a.example.it',
      });
    } finally {
      await writer.setBodyDomains(actor, 'demo_ep_a', declared);
    }
    expect(await endpoints.deliverable('demo_ep_a', 'contratto')).to.include({ id: 'contratto' });
  });

  it("never lets a body read or change another body's endpoints", async () => {
    await api('put', '/endpoints/privato', tokenA).send(endpoint()).expect(201);
    for (const [method, path] of [
      ['get', '/endpoints/privato'],
      ['post', '/endpoints/privato/disable'],
      ['post', '/endpoints/privato/enable'],
    ] as const) {
      const res = await api(method, path, tokenB).expect(404);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    }
    // B may not point an endpoint at A's domain; the same id under B is B's own record.
    await api('put', '/endpoints/privato', tokenB).send(endpoint()).expect(422);
    await api('put', '/endpoints/privato', tokenB).send(endpoint('https://b.example.it/steps')).expect(201);
    const listB = await api('get', '/endpoints', tokenB).expect(200);
    expect(listB.body.endpoints.map((e: { bodyIpa: string }) => e.bodyIpa)).to.deep.equal(['demo_ep_b']);
    const stillA = await api('get', '/endpoints/privato', tokenA).expect(200);
    expect(stillA.body).to.include({ url: 'https://a.example.it/varco/steps', status: 'active' });
    await request(gw.app).get('/api/v1/endpoints').expect(401);
  });

  it('rejects bad URLs, schemes, hosts and hostile payloads with problem+json, changing nothing', async () => {
    let nested: unknown = 'x';
    for (let i = 0; i < 2000; i++) nested = { a: nested };
    const cases: Array<[string, unknown, number]> = [
      ['javascript', endpoint('javascript:alert(1)'), 422],
      ['data', endpoint('data:text/html,<script>1</script>'), 422],
      ['ftp', endpoint('ftp://a.example.it/x'), 422],
      ['http-declared', endpoint('http://a.example.it/x'), 422],
      ['other-host', endpoint('https://evil.example/x'), 422],
      ['sub-host', endpoint('https://x.a.example.it/x'), 422],
      ['userinfo', endpoint('https://a.example.it@evil.example/x'), 422],
      ['credentials', endpoint('https://u:p@a.example.it/x'), 422],
      ['ip', endpoint('https://10.0.0.1/x'), 422],
      ['wrong-types', { ...endpoint(), title: 'x', handles: 'newborn.x' }, 422],
      ['bad-step', { ...endpoint(), handles: ['<script>'] }, 422],
      ['dup-step', { ...endpoint(), handles: ['a.b', 'a.b'] }, 422],
      ['unknown-field', { ...endpoint(), bodyIpa: 'demo_ep_b' }, 422],
      ['status-field', { ...endpoint(), status: 'active' }, 422],
      ['nested', { ...endpoint(), title: nested }, 422],
      ['huge', { ...endpoint(), handles: Array.from({ length: 20_000 }, (_, i) => `s.${i}`) }, 413],
      ['array', [endpoint()], 422],
    ];
    for (const [name, payload, status] of cases) {
      const res = await api('put', `/endpoints/ostile-${name}`, tokenA).send(payload as object);
      expect(res.status, name).to.equal(status);
      expect(res.headers['content-type'], name).to.match(/^application\/problem\+json/);
    }
    await api('put', '/endpoints/NOT_VALID', tokenA).send(endpoint()).expect(400);
    await api('get', '/endpoints/%3Cx%3E', tokenA).expect(400);
    const stored = await gw.deps.catalog.endpoints.listByBody('demo_ep_a');
    expect(stored.filter((e) => e.id.startsWith('ostile-'))).to.deep.equal([]);
  });

  it('accepts http://localhost and 127.0.0.1 in demo mode only', async () => {
    await api('put', '/endpoints/locale', tokenA)
      .send(endpoint('http://localhost:4000/demo/body-systems/demo_ep_a/steps'))
      .expect(201);
    await api('put', '/endpoints/locale-ip', tokenA)
      .send(endpoint('http://127.0.0.1:4000/steps'))
      .expect(201);
    const prod = await createTestGateway({ demo: false });
    try {
      await prod.deps.catalog.writer.putBody(actor, testBody('demo_ep_c', 'c.example.it'), {
        status: 'approved',
        editors: [],
      });
      const token = (await createCredentials(prod.redis).issue('demo_ep_c')).token;
      const put = (url: string) =>
        request(prod.app)
          .put('/api/v1/endpoints/locale')
          .set('Authorization', `Bearer ${token}`)
          .send(endpoint(url));
      for (const url of ['http://localhost:4000/steps', 'https://127.0.0.1/steps', 'http://c.example.it/x']) {
        const res = await put(url).expect(422);
        expect(res.body.code, url).to.equal('link_rejected');
      }
      await put('https://c.example.it/steps').expect(201);
    } finally {
      await prod.close();
    }
  });

  it('documents the endpoint operations in the OpenAPI document from the validating schemas', async () => {
    const res = await request(gw.app).get('/api/v1/openapi.json').expect(200);
    expect(res.body.paths).to.include.keys(
      '/endpoints',
      '/endpoints/{endpointId}',
      '/endpoints/{endpointId}/disable',
      '/endpoints/{endpointId}/enable',
    );
    expect(Object.keys(res.body.paths['/endpoints/{endpointId}'])).to.include.members(['get', 'put']);
    const input = res.body.components.schemas.EndpointInput;
    expect(input.additionalProperties).to.equal(false);
    expect(input.required).to.include.members(['title', 'url', 'handles']);
    expect(res.body.components.schemas.Endpoint.properties.status.enum).to.deep.equal(['active', 'disabled']);
  });

  it('seeds endpoints from endpoints.yaml (paths resolved against the public URL), idempotently', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'varco-seed-'));
    try {
      writeFileSync(path.join(dir, 'empty.yaml'), 'endpoints: []\n');
      const seed = readSeedCatalog(dir);
      expect(seed.endpoints).to.deep.equal([]);
      writeFileSync(
        path.join(dir, 'endpoints.yaml'),
        [
          'endpoints:',
          '  - bodyIpa: demo_ep_b',
          '    id: seme',
          "    title: { it: 'Nascite', en: 'Births' }",
          '    url: /demo/body-systems/demo_ep_b/steps',
          '    handles: [newborn.birth-registration]',
        ].join('\n'),
      );
      const { writer, endpoints, repository } = gw.deps.catalog;
      const options = { publicUrl: gw.config.http.publicUrl };
      const first = await seedCatalog(writer, readSeedCatalog(dir), options);
      expect(first).to.include({ endpoints: 1, changed: 1 });
      expect(await endpoints.get('demo_ep_b', 'seme')).to.include({
        url: new URL('/demo/body-systems/demo_ep_b/steps', gw.config.http.publicUrl).href,
        status: 'active',
      });
      const version = await repository.version();
      const second = await seedCatalog(writer, readSeedCatalog(dir), options);
      expect(second.changed).to.equal(0);
      expect(await repository.version()).to.equal(version);
      expect(await repository.auditOf('endpoint', 'demo_ep_b/seme')).to.have.length(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads the demo catalog folder, endpoints.yaml included', () => {
    const seed = readSeedCatalog('config/catalog');
    expect(seed.endpoints).to.be.an('array');
    expect(seed.bodies.length).to.be.at.least(15);
  });
});
