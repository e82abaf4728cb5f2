import { expect } from 'chai';
import { createCredentials } from '../../src/registry/credentials.repository.ts';
import { testBody, testService } from './catalog-fixtures.ts';
import { startSsoGateway, type SsoGateway } from '../helpers/sso.ts';

const SYSTEM = { kind: 'system' as const, id: 'sso-test' };

describe('registration API: a body registers a single-sign-on client', () => {
  let op: SsoGateway;
  let tokenA: string;
  let tokenB: string;
  const api = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${op.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  /** The token endpoint's verdict on a client's credentials (a made-up code: only authentication is at stake). */
  const tokenEndpoint = (clientId: string, secret: string) =>
    fetch(`${op.url}/op/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'made-up',
        redirect_uri: 'https://api-a.example.it/cb',
        code_verifier: 'x'.repeat(43),
      }).toString(),
    }).then(async (r) => ({ status: r.status, error: ((await r.json()) as { error: string }).error }));

  const sso = (auth: object) => ({
    redirectUris: ['https://api-a.example.it/cb'],
    clientAuthentication: auth,
    claims: [{ claim: 'email', purpose: { it: 'Per le ricevute.', en: 'For the receipts.' } }],
  });

  before(async () => {
    op = await startSsoGateway();
    const { writer } = op.gateway.deps.catalog;
    for (const [ipa, domain] of [
      ['demo_api_sso_a', 'api-a.example.it'],
      ['demo_api_sso_b', 'api-b.example.it'],
    ] as const)
      await writer.putBody(SYSTEM, testBody(ipa, domain), { status: 'approved', editors: [] });
    const credentials = createCredentials(op.gateway.redis);
    tokenA = (await credentials.issue('demo_api_sso_a')).token;
    tokenB = (await credentials.issue('demo_api_sso_b')).token;
  });
  after(() => op.close());

  it('creates the client, issues its secret once, and a new secret replaces the old one', async () => {
    const input = {
      ...testService('api-a.example.it'),
      integration: 'sso',
      sso: sso({ method: 'client_secret_basic' }),
    };
    expect((await api('PUT', '/services/api-sso-secret', tokenA, input)).status).to.equal(201);
    expect((await api('POST', '/services/api-sso-secret/publish', tokenA)).status).to.equal(200);
    // Published but without a secret the client does not exist yet.
    expect((await tokenEndpoint('api-sso-secret', 'anything')).error).to.equal('invalid_client');

    const issued = await api('POST', '/services/api-sso-secret/sso/secret', tokenA);
    expect(issued.status).to.equal(201);
    expect(issued.headers.get('cache-control')).to.equal('no-store');
    const first = ((await issued.json()) as { clientSecret: string }).clientSecret;
    expect(first).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(await tokenEndpoint('api-sso-secret', first)).to.deep.equal({
      status: 400,
      error: 'invalid_grant',
    });

    const replaced = await api('POST', '/services/api-sso-secret/sso/secret', tokenA);
    const second = ((await replaced.json()) as { clientSecret: string }).clientSecret;
    expect(await tokenEndpoint('api-sso-secret', first)).to.deep.equal({
      status: 401,
      error: 'invalid_client',
    });
    expect((await tokenEndpoint('api-sso-secret', second)).error).to.equal('invalid_grant');

    const record = JSON.stringify(await (await api('GET', '/services/api-sso-secret', tokenA)).json());
    expect(record).to.not.contain(second).and.not.contain(first);
  });

  it("refuses another body's service, a key-based client and unknown services, as problem+json", async () => {
    const input = {
      ...testService('api-a.example.it'),
      integration: 'sso',
      sso: sso({ method: 'private_key_jwt', jwksUri: 'https://api-a.example.it/jwks' }),
    };
    expect((await api('PUT', '/services/api-sso-keys', tokenA, input)).status).to.equal(201);
    const keys = await api('POST', '/services/api-sso-keys/sso/secret', tokenA);
    expect(keys.status).to.equal(409);
    expect(keys.headers.get('content-type')).to.match(/^application\/problem\+json/);
    const stranger = await api('POST', '/services/api-sso-secret/sso/secret', tokenB);
    expect(stranger.status).to.be.oneOf([403, 404]);
    expect((await api('POST', '/services/no-such-service/sso/secret', tokenA)).status).to.equal(404);
    expect((await api('POST', '/services/..%2Fx/sso/secret', tokenA)).status).to.equal(400);
    expect((await api('POST', '/services/api-sso-secret/sso/secret', 'forged')).status).to.equal(401);
  });

  it('refuses hostile client metadata with 422 and stores nothing', async () => {
    const base = { ...testService('api-a.example.it'), integration: 'sso' };
    for (const bad of [
      sso({ method: 'client_secret_basic', jwksUri: 'https://api-a.example.it/jwks' }),
      sso({ method: 'private_key_jwt', jwks: { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB', d: 'private' }] } }),
      { ...sso({ method: 'client_secret_basic' }), redirectUris: ['https://evil.example/cb'] },
      { ...sso({ method: 'client_secret_basic' }), redirectUris: ['https://api-a.example.it/cb#x'] },
      {
        ...sso({ method: 'client_secret_basic' }),
        claims: [{ claim: 'password', purpose: { it: 'x', en: 'x' } }],
      },
      { ...sso({ method: 'client_secret_basic' }), extra: true },
    ]) {
      const response = await api('PUT', '/services/api-sso-bad', tokenA, { ...base, sso: bad });
      expect(response.status, JSON.stringify(bad)).to.equal(422);
    }
    expect(await op.gateway.deps.catalog.repository.getService('api-sso-bad')).to.equal(undefined);
  });

  it('refuses integration "sso" without its client block: 422 naming the sso block, nothing stored', async () => {
    for (const bad of [
      { ...testService('api-a.example.it'), integration: 'sso' },
      { ...testService('api-a.example.it'), integration: 'sso', sso: null },
      { ...testService('api-a.example.it'), integration: 'sso', sso: {} },
    ]) {
      const response = await api('PUT', '/services/api-sso-none', tokenA, bad);
      expect(response.status, JSON.stringify(bad)).to.equal(422);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
      const problem = (await response.json()) as { detail?: string };
      expect(problem.detail, JSON.stringify(bad)).to.match(/sso/);
    }
    expect(await op.gateway.deps.catalog.repository.getService('api-sso-none')).to.equal(undefined);
    // The same service as a plain link is fine, and its sheet does not promise a login-free access.
    const link = { ...testService('api-a.example.it'), integration: 'link' };
    expect((await api('PUT', '/services/api-sso-none', tokenA, link)).status).to.equal(201);
  });

  it('documents the secret endpoint in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${op.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(doc.paths).to.have.property('/services/{serviceId}/sso/secret');
  });
});
