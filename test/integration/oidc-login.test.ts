import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { Router } from 'express';
import request, { type Agent } from 'supertest';
import { createApp } from '../../src/app.ts';
import { generateSigningKey } from '../../src/demo/oidc-op/demo-op.ts';
import { buildGateway } from '../../src/gateway.ts';
import { requireLevel } from '../../src/identity/step-up.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { connectRedis, createRedisConnection } from '../../src/platform/redis.ts';
import { sessionKeyPrefix } from '../../src/platform/sessions.ts';
import {
  csrfTokenFrom,
  deleteKeys,
  logoutOnwardFrom,
  testConfig,
  testLoginRoutes,
  type TestGateway,
} from '../helpers/gateway.ts';
import {
  decodeJwt,
  OIDC_PERSON,
  oidcConfig,
  PERSON_WITHOUT_FISCAL_CODE,
  providerAgent,
  startTestOp,
  testDescriptor,
  throughProvider,
  writeClientKey,
  writeProvidersDir,
  type TestOp,
} from '../helpers/oidc.ts';
import { base64, createTestIdp, signedResponse, startLogin as startSpidLogin } from '../helpers/saml.ts';

const PUBLIC_URL = 'http://localhost:3000';
const MANY_LOGINS = { rateLimit: { login: { windowSeconds: 60, max: 10_000 } } };
const TINIT_FISCAL_CODE = OIDC_PERSON.claims['https://attributes.eid.gov.it/fiscal_number']!;
const FISCAL_CODE = TINIT_FISCAL_CODE.replace('TINIT-', '');
const callbackUri = (id: string) => `${PUBLIC_URL}/oidc/callback/${id}`;

/** A loopback port nobody listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The test gateway, with its log lines kept (to check they carry no personal data). */
async function gatewayWithLogs(overrides: Record<string, unknown>) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const config = testConfig({ ...overrides, log: { level: 'info' } });
  const logger = createLogger('info', sink);
  const redis = createRedisConnection(config.redis, logger);
  await connectRedis(redis);
  const deps = await buildGateway(config, logger, redis);
  // A page that needs level 3, for the step-up test.
  const levelThree = Router().get('/__test/level-3', requireLevel(3), (_req, res) => {
    res.send('level 3 page');
  });
  const gateway: TestGateway = {
    app: createApp(deps, [testLoginRoutes(deps), levelThree]),
    deps,
    redis,
    config,
    async close() {
      deps.oidc.registry.close();
      await deleteKeys(redis, config.redis.prefix);
      await redis.close();
    },
  };
  return { gateway, lines };
}

describe('OpenID Connect login (real oidc-provider on 127.0.0.1)', () => {
  let op: TestOp;
  let shortCodes: TestOp;
  let fragile: TestOp;
  let signed: TestOp;
  const clientKey = writeClientKey();
  let gateway: TestGateway;
  let logLines: string[];
  let providers: ReturnType<typeof writeProvidersDir>;
  const spidIdp = createTestIdp();

  before(async () => {
    op = await startTestOp({
      redirectUris: ['test', 'staff'].map(callbackUri),
      postLogoutRedirectUris: [`${PUBLIC_URL}/logged-out`],
    });
    shortCodes = await startTestOp({ redirectUris: [callbackUri('short')], codeTtlSeconds: 1 });
    fragile = await startTestOp({ redirectUris: [callbackUri('fragile')] });
    signed = await startTestOp({
      redirectUris: [callbackUri('signed')],
      clientJwks: { keys: [clientKey.publicJwk] },
    });
    providers = writeProvidersDir({
      test: testDescriptor(op),
      staff: testDescriptor(op, { staffOnly: true, label: { it: 'Personale', en: 'Staff' } }),
      short: testDescriptor(shortCodes),
      fragile: testDescriptor(fragile),
      // CIE id's way: private_key_jwt at the token endpoint and signed request objects (JAR)
      signed: testDescriptor(signed, {
        auth: { method: 'private_key_jwt', keyFile: clientKey.keyFile, alg: 'ES256', kid: clientKey.kid },
        requestObject: true,
      }),
      down: testDescriptor(op, { issuer: `http://127.0.0.1:${await closedPort()}` }),
    });
    ({ gateway, lines: logLines } = await gatewayWithLogs({
      ...MANY_LOGINS,
      ...oidcConfig(providers.dir),
    }));
    await gateway.deps.oidc.registry.settled();
    gateway.deps.spid.idps.add(spidIdp.descriptor);
  });
  after(async () => {
    await gateway.close();
    await Promise.all([op.close(), shortCodes.close(), fragile.close(), signed.close()]);
    providers.remove();
    clientKey.remove();
  });
  beforeEach(() => {
    op.loginAs = OIDC_PERSON.sub;
    op.misbehave = {};
  });
  afterEach(async () => {
    await deleteKeys(gateway.redis, `${gateway.redis.prefix}citizen:`);
    await deleteKeys(gateway.redis, sessionKeyPrefix(gateway.redis));
  });

  const sessionKeys = () => gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`);
  const citizenKeys = () => gateway.redis.client.keys(`${gateway.redis.prefix}citizen:*`);

  /** Starts a login at the gateway and walks through the provider; returns the callback path. */
  async function authenticate(agent: Agent, provider = 'test', via = op, query = 'level=2') {
    const start = await agent.get(`/oidc/login/${provider}?${query}`).expect(303);
    return throughProvider(start.headers.location ?? '', providerAgent(via));
  }

  /** The callback is refused with `status`/`code`, and nobody got logged in. */
  async function expectRefused(agent: Agent, callback: string, status: number, code: string) {
    const before = (await sessionKeys()).length;
    const res = await agent.get(callback).set('Accept', 'application/json');
    expect(res.status, res.text).to.equal(status);
    expect(JSON.parse(res.text).code).to.equal(code);
    expect((await sessionKeys()).length, 'no new session').to.be.at.most(before);
    expect(await citizenKeys(), 'no citizen record or session index').to.deep.equal([]);
    await agent.get('/me').expect(303).expect('Location', '/login');
  }

  describe('happy path', () => {
    it('logs the citizen in: fiscal code normalised, level from acr, one citizen record', async () => {
      const agent = request.agent(gateway.app);
      const callback = await authenticate(agent, 'test', op, 'level=2&next=/services');
      const res = await agent.get(callback).expect(303);
      expect(res.headers.location).to.equal('/services');
      const me = await agent.get('/me').expect(200);
      expect(me.text).to.contain(FISCAL_CODE);
      const [entry] = await gateway.deps.citizen.sessions.list(FISCAL_CODE);
      expect(entry?.provider).to.equal('test');
      const linked = await gateway.deps.citizen.records.linkedIdentities(FISCAL_CODE);
      expect(linked.map((l) => [l.provider, l.issuer, l.lastLevel])).to.deep.equal([['test', op.issuer, 2]]);
    });

    it('asks for PKCE (S256), state, nonce, the acr value and the claims of the descriptor', async () => {
      const start = await request(gateway.app).get('/oidc/login/test?level=3').expect(303);
      const url = new URL(start.headers.location ?? '');
      expect(url.origin).to.equal(op.url);
      const p = url.searchParams;
      expect(p.get('code_challenge_method')).to.equal('S256');
      expect(p.get('code_challenge')).to.match(/^[\w-]{43}$/);
      expect(p.get('state')).to.match(/^[\w-]{43}$/);
      expect(p.get('nonce')).to.match(/^[\w-]{43}$/);
      expect(p.get('acr_values')).to.equal('https://www.spid.gov.it/SpidL3');
      expect(p.get('redirect_uri')).to.equal(callbackUri('test'));
      expect(Object.keys(JSON.parse(p.get('claims') ?? '{}').id_token)).to.include(
        'https://attributes.eid.gov.it/fiscal_number',
      );
    });

    it('signs its requests (JAR) and authenticates with private_key_jwt when the provider wants it', async () => {
      const agent = request.agent(gateway.app);
      const start = await agent.get('/oidc/login/signed?level=2').expect(303);
      const url = new URL(start.headers.location ?? '');
      const requestObject = decodeJwt(url.searchParams.get('request') ?? '');
      expect(requestObject).to.include({
        iss: 'varco-test-rp',
        aud: signed.issuer,
        scope: 'openid profile email',
      });
      expect(requestObject.nonce).to.be.a('string');
      expect(url.searchParams.get('scope')).to.equal('openid profile email');
      expect(url.searchParams.get('nonce'), 'only inside the signed request').to.equal(null);
      // The provider registered the client as requiring signed requests and private_key_jwt.
      const callback = await throughProvider(url.href, providerAgent(signed));
      await agent.get(callback).expect(303);
      expect((await gateway.deps.citizen.records.linkedIdentities(FISCAL_CODE))[0]?.provider).to.equal(
        'signed',
      );
    });

    it('steps up at the same provider and replaces the lower-level session', async () => {
      const agent = request.agent(gateway.app);
      await agent.get(await authenticate(agent, 'test', op, 'level=1')).expect(303);
      const [lower] = await gateway.deps.citizen.sessions.list(FISCAL_CODE);
      const needsMore = await agent.get('/__test/level-3').expect(303);
      expect(needsMore.headers.location).to.equal('/oidc/login/test?level=3&next=%2F__test%2Flevel-3');
      const start = await agent.get(needsMore.headers.location ?? '').expect(303);
      expect(new URL(start.headers.location ?? '').searchParams.get('acr_values')).to.equal(
        'https://www.spid.gov.it/SpidL3',
      );
      const callback = await throughProvider(start.headers.location ?? '', providerAgent(op));
      const done = await agent.get(callback).expect(303);
      expect(done.headers.location).to.equal('/__test/level-3');
      await agent.get('/__test/level-3').expect(200, 'level 3 page');
      const sessions = await gateway.deps.citizen.sessions.list(FISCAL_CODE);
      expect(sessions, 'the level-1 session is gone (regenerated)').to.have.length(1);
      expect(sessions[0]?.sessionId).to.not.equal(lower?.sessionId);
      expect(
        await gateway.redis.client.exists(`${sessionKeyPrefix(gateway.redis)}${lower?.sessionId}`),
      ).to.equal(0);
    });

    it('joins SPID and OpenID Connect logins with the same fiscal code into one citizen', async () => {
      const spidAgent = request.agent(gateway.app);
      const started = await startSpidLogin(spidAgent, spidIdp, 2);
      await spidAgent
        .post('/spid/acs')
        .type('form')
        .send({
          SAMLResponse: base64(signedResponse(gateway, spidIdp, started.id)),
          RelayState: started.relayState,
        })
        .expect(303);
      const oidcAgent = request.agent(gateway.app);
      await oidcAgent.get(await authenticate(oidcAgent)).expect(303);

      const linked = await gateway.deps.citizen.records.linkedIdentities(FISCAL_CODE);
      expect(linked.map((l) => l.provider).sort()).to.deep.equal(['spid', 'test']);
      expect(await gateway.deps.citizen.sessions.list(FISCAL_CODE)).to.have.length(2);
      const keys = await citizenKeys();
      expect(keys.filter((k) => k.endsWith(':profile'))).to.have.length(1);
      const me = await oidcAgent.get('/me').expect(200);
      expect(me.text).to.contain('SPID').and.to.contain('Entra con Prova');
      // Each identity provider by the name people know it by: the SPID IdP's, the OpenID Provider's own.
      expect(me.text).to.contain(`<td data-label="Gestore">${spidIdp.descriptor.name}</td>`);
      expect(me.text).to.contain(`<td data-label="Gestore">Entra con Prova</td>`);
      expect(me.text).not.to.contain(`<td data-label="Gestore">${new URL(op.issuer).host}</td>`);
      expect(me.text).not.to.contain(spidIdp.entityId);
    });

    it('logs staff in through a staff-only provider without a fiscal code, never as a citizen', async () => {
      op.loginAs = PERSON_WITHOUT_FISCAL_CODE.sub;
      const agent = request.agent(gateway.app);
      const res = await agent.get(await authenticate(agent, 'staff')).expect(303);
      expect(res.headers.location).to.equal('/');
      expect(await citizenKeys()).to.deep.equal([]);
      await agent.get('/me').expect(303).expect('Location', '/login');
      const [key] = await sessionKeys();
      const stored = JSON.parse((await gateway.redis.client.get(key!)) ?? '{}');
      expect(stored.staff).to.include({ provider: 'staff', subject: PERSON_WITHOUT_FISCAL_CODE.sub });
      expect(stored.citizen).to.equal(undefined);
    });

    it('logs out at the provider too (RP-initiated logout) and ends the session', async () => {
      const agent = request.agent(gateway.app);
      await agent.get(await authenticate(agent)).expect(303);
      const me = await agent.get('/me').expect(200);
      const res = await agent
        .post('/logout')
        .type('form')
        .send({ _csrf: csrfTokenFrom(me.text) })
        .expect(200);
      const url = new URL(logoutOnwardFrom(res.text));
      expect(`${url.origin}${url.pathname}`).to.equal(`${op.issuer}/session/end`);
      expect(url.searchParams.get('client_id')).to.equal('varco-test-rp');
      expect(url.searchParams.get('post_logout_redirect_uri')).to.equal(`${PUBLIC_URL}/logged-out`);
      await agent.get('/me').expect(303).expect('Location', '/login');
      expect(await gateway.deps.citizen.sessions.list(FISCAL_CODE)).to.deep.equal([]);
      // The provider accepts the request: it answers with its logout confirmation page.
      const atProvider = await providerAgent(op).get(`${url.pathname}${url.search}`);
      expect(atProvider.status).to.equal(200);
    });
  });

  describe('failures: a clear page with the right status, and no session', () => {
    it('refuses a provider that sends no fiscal code (403, with a message that says so)', async () => {
      op.loginAs = PERSON_WITHOUT_FISCAL_CODE.sub;
      const agent = request.agent(gateway.app);
      const callback = await authenticate(agent);
      const before = (await sessionKeys()).length;
      const res = await agent.get(callback).expect(403);
      expect(res.text).to.contain('codice fiscale');
      expect(res.text).to.contain('href="/login"');
      expect((await sessionKeys()).length).to.equal(before);
      expect(await citizenKeys()).to.deep.equal([]);
    });

    it('refuses a login at a lower level than asked for (403)', async () => {
      op.misbehave = { idToken: (p) => ({ ...p, acr: 'https://www.spid.gov.it/SpidL1' }) };
      const agent = request.agent(gateway.app);
      await expectRefused(agent, await authenticate(agent, 'test', op, 'level=2'), 403, 'oidc_level');
    });

    it('refuses an unknown state (400)', async () => {
      const agent = request.agent(gateway.app);
      const callback = await authenticate(agent);
      const forged = callback.replace(/state=[^&]+/, `state=${'A'.repeat(43)}`);
      await expectRefused(agent, forged, 400, 'oidc_state_unknown');
    });

    it('refuses a callback arriving in another browser than the one that started (400)', async () => {
      const callback = await authenticate(request.agent(gateway.app));
      await expectRefused(request.agent(gateway.app), callback, 400, 'oidc_state_browser');
    });

    it('refuses an id_token whose nonce is not the one sent (400)', async () => {
      op.misbehave = { idToken: (p) => ({ ...p, nonce: 'n'.repeat(43) }) };
      const agent = request.agent(gateway.app);
      await expectRefused(agent, await authenticate(agent), 400, 'oidc_nonce_mismatch');
    });

    it('refuses a replayed callback (400), leaving the first login alone', async () => {
      const agent = request.agent(gateway.app);
      const callback = await authenticate(agent);
      await agent.get(callback).expect(303);
      const replay = await request(gateway.app).get(callback).set('Accept', 'application/json');
      expect(replay.status).to.equal(400);
      expect(JSON.parse(replay.text).code).to.equal('oidc_state_unknown');
      expect(await gateway.deps.citizen.sessions.list(FISCAL_CODE)).to.have.length(1);
    });

    it('refuses a code already redeemed, pasted into another login (400)', async () => {
      const first = request.agent(gateway.app);
      const used = await authenticate(first);
      await first.get(used).expect(303);
      await deleteKeys(gateway.redis, `${gateway.redis.prefix}citizen:`);
      const agent = request.agent(gateway.app);
      const fresh = await authenticate(agent);
      const code = new URL(used, PUBLIC_URL).searchParams.get('code') ?? '';
      const injected = fresh.replace(/code=[^&]+/, `code=${encodeURIComponent(code)}`);
      await expectRefused(agent, injected, 400, 'oidc_code_invalid');
    });

    it('refuses an expired code (400)', async function () {
      this.timeout(10_000);
      const agent = request.agent(gateway.app);
      const callback = await authenticate(agent, 'short', shortCodes);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await expectRefused(agent, callback, 400, 'oidc_code_invalid');
    });

    it('refuses an authorization response naming another issuer (mix-up, RFC 9207: 403)', async () => {
      const agent = request.agent(gateway.app);
      const callback = await authenticate(agent);
      const mixedUp = callback.replace(/iss=[^&]+/, `iss=${encodeURIComponent('https://evil.test.invalid')}`);
      expect(mixedUp).to.not.equal(callback);
      await expectRefused(agent, mixedUp, 403, 'oidc_wrong_issuer');
    });

    it('refuses an id_token from another issuer (403)', async () => {
      op.misbehave = { idToken: (p) => ({ ...p, iss: 'https://evil.test.invalid' }) };
      const agent = request.agent(gateway.app);
      await expectRefused(agent, await authenticate(agent), 403, 'oidc_wrong_issuer');
    });

    it('refuses an id_token signed with a key not in the provider JWKS (403)', async () => {
      const impostor = generateSigningKey().privateJwk;
      op.misbehave = { signWith: { ...impostor, kid: op.privateJwk.kid } };
      const agent = request.agent(gateway.app);
      await expectRefused(agent, await authenticate(agent), 403, 'oidc_bad_signature');
    });

    it('refuses an id_token outside the clock tolerance (400)', async () => {
      // The provider's clock is 10 minutes behind: its fresh token has already expired for us.
      op.misbehave = {
        idToken: (p) => ({ ...p, iat: Number(p.iat) - 900, exp: Number(p.iat) - 600 }),
      };
      const agent = request.agent(gateway.app);
      await expectRefused(agent, await authenticate(agent), 400, 'oidc_clock_skew');
    });

    it('accepts an id_token within the clock tolerance', async () => {
      op.misbehave = { idToken: (p) => ({ ...p, iat: Number(p.iat) + 20, exp: Number(p.exp) + 20 }) };
      const agent = request.agent(gateway.app);
      await agent.get(await authenticate(agent)).expect(303);
      expect(await gateway.deps.citizen.sessions.list(FISCAL_CODE)).to.have.length(1);
    });

    it('answers 504 when the provider is too slow', async function () {
      this.timeout(10_000);
      op.misbehave = { tokenDelayMs: 2500 };
      const agent = request.agent(gateway.app);
      await expectRefused(agent, await authenticate(agent), 504, 'oidc_provider_timeout');
    });

    it('answers 502 when the provider went away during the login (connection refused)', async () => {
      const agent = request.agent(gateway.app);
      const callback = await authenticate(agent, 'fragile', fragile);
      await fragile.close();
      await expectRefused(agent, callback, 502, 'oidc_provider_down');
    });

    it('answers 502, with a page, when the provider cannot be reached to start a login', async () => {
      const res = await request(gateway.app).get('/oidc/login/down').expect(502);
      expect(res.text).to.contain('href="/login"');
      expect(res.text).to.contain('<h1');
    });

    it('refuses hostile callbacks (400): duplicated parameters, no code, oversized or missing state', async () => {
      const agent = request.agent(gateway.app);
      const callback = await authenticate(agent);
      const code = /code=([^&]+)/.exec(callback)?.[1] ?? '';
      await expectRefused(agent, `${callback}&code=${code}`, 400, 'oidc_response_invalid');
      const withoutCode = (await authenticate(agent))
        .replace(/[?&]code=[^&]+/, '')
        .replace('/test&', '/test?');
      await expectRefused(agent, withoutCode, 400, 'oidc_response_invalid');
      await expectRefused(
        agent,
        `/oidc/callback/test?code=x&state=${'A'.repeat(5000)}`,
        400,
        'oidc_state_unknown',
      );
      await expectRefused(agent, '/oidc/callback/test?code=x', 400, 'oidc_state_unknown');
    });

    it('answers 404 for a provider nobody configured, and 400 for a bad level', async () => {
      await request(gateway.app).get('/oidc/login/nobody').expect(404);
      await request(gateway.app).get('/oidc/callback/nobody?state=x&code=y').expect(404);
      await request(gateway.app).get('/oidc/login/test?level=9').expect(400);
    });

    it('never writes the fiscal code, tokens or the client secret to the logs', () => {
      const all = logLines.join('\n');
      expect(all).to.contain('oidc_nonce_mismatch'); // the failures above were logged, by code
      expect(all).to.not.contain(FISCAL_CODE);
      expect(all).to.not.contain(TINIT_FISCAL_CODE);
      expect(all).to.not.contain('test-only-oidc-client-secret');
      expect(all).to.not.match(/eyJ[\w-]+\.eyJ/); // no JWT
    });
  });

  describe('discovery', () => {
    it('keeps the last good metadata when a refresh fails, and logins still start', async () => {
      const provider = await startTestOp({ redirectUris: [callbackUri('blinking')] });
      const dir = writeProvidersDir({ blinking: testDescriptor(provider) });
      const { gateway: other } = await gatewayWithLogs(oidcConfig(dir.dir));
      try {
        const { registry } = other.deps.oidc;
        await registry.settled();
        expect(registry.loaded('blinking')).to.equal(true);
        await provider.close();
        expect(await registry.refresh('blinking')).to.equal(false);
        expect(registry.loaded('blinking')).to.equal(true);
        const start = await request(other.app).get('/oidc/login/blinking').expect(303);
        expect(start.headers.location).to.match(new RegExp(`^${provider.url}/auth\\?`));
        const ready = await request(other.app).get('/ready');
        expect(JSON.parse(ready.text).checks['oidc-blinking']).to.equal(true);
      } finally {
        await other.close();
        dir.remove();
      }
    });
  });

  it('the test provider really signs its id_tokens (sanity check of the helper)', async () => {
    let seen: Record<string, unknown> | undefined;
    op.misbehave = {
      idToken: (p) => {
        seen = p;
        return p;
      },
    };
    const agent = request.agent(gateway.app);
    await agent.get(await authenticate(agent)).expect(303);
    expect(seen?.iss).to.equal(op.issuer);
    expect(seen?.acr).to.equal('https://www.spid.gov.it/SpidL2');
    expect(decodeJwt).to.be.a('function');
  });
});
