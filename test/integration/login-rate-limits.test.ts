import { expect } from 'chai';
import request from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { createTestIdp, postResponse, signedResponse, startLogin } from '../helpers/saml.ts';

// Test-only IdP keys, generated once for the whole file.
const idp = createTestIdp();

const CANCELLED = { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder', message: 'ErrorCode nr25' };

describe('login rate limits', () => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('let an office of 30 citizens behind one address log in within a minute, each after a cancelled try (defaults)', async () => {
    const office = await createTestGateway();
    gateway = office;
    office.deps.spid.idps.add(idp.descriptor);
    for (let citizen = 0; citizen < 30; citizen++) {
      const cancelled = await startLogin(request.agent(office.app), idp, 2);
      const refusal = await postResponse(
        office,
        signedResponse(office, idp, cancelled.id, { failure: CANCELLED }),
        cancelled,
      );
      expect(refusal.status, `citizen ${citizen}, cancelled try`).to.equal(401);
      const started = await startLogin(request.agent(office.app), idp, 2);
      const login = await postResponse(office, signedResponse(office, idp, started.id), started);
      expect(login.status, `citizen ${citizen}, login`).to.equal(303);
    }
  });

  it('count starting a login and the identity providers’ answers apart, each with its own 429', async () => {
    const limited = await createTestGateway({
      rateLimit: { login: { windowSeconds: 60, max: 3 }, loginReturn: { windowSeconds: 60, max: 4 } },
    });
    gateway = limited;
    limited.deps.spid.idps.add(idp.descriptor);
    const started = [];
    for (let i = 0; i < 3; i++) started.push(await startLogin(request.agent(limited.app), idp, 2));
    await request(limited.app)
      .get(`/spid/login?idp=${encodeURIComponent(idp.entityId)}&level=2`)
      .expect(429)
      .expect('Retry-After', /^\d+$/);
    await request(limited.app).get('/oidc/login/demo').expect(429);

    // The starts' budget is used up; the answers to the requests already made still get through.
    for (const login of started) {
      const res = await postResponse(limited, signedResponse(limited, idp, login.id), login);
      expect(res.status, res.text).to.equal(303);
    }
    await request(limited.app).get('/spid/slo').expect(400);
    await request(limited.app).get('/spid/slo').expect(429);
    await postResponse(limited, signedResponse(limited, idp, started[0]!.id), started[0]!).expect(429);
    await request(limited.app).get('/oidc/callback/demo').expect(429);
  });
});
