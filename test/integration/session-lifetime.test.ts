import { expect } from 'chai';
import request from 'supertest';
import { sessionKeyPrefix } from '../../src/platform/sessions.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('session lifetime', () => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('keeps the session in Redis only for the idle timeout, renewed by each request', async () => {
    // The cookie's Expires has whole seconds, so the browser may drop it up to a second early:
    // sleeps stay a second and more below the timeout (the CI machine is shared and slow).
    gateway = await createTestGateway({ session: { idleTimeoutSeconds: 4 } });
    const agent = request.agent(gateway.app);
    const login = await agent.get('/__test/login').expect(200);
    const expires = /Expires=([^;]+)/.exec(login.headers['set-cookie']?.[0] ?? '')?.[1];
    expect(Date.parse(expires!) - Date.now()).to.be.within(0, 4500);
    const keys = await gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`);
    expect(keys).to.have.length(1);
    expect(await gateway.redis.client.ttl(keys[0]!)).to.be.within(1, 4);

    await agent.get('/me').expect(200); // warm up the page's templates
    await sleep(2000);
    await agent.get('/me').expect(200); // activity renews the idle timeout
    await sleep(2000);
    await agent.get('/me').expect(200);
    await sleep(4300); // idle for longer than the timeout
    await agent.get('/me').expect(303).expect('Location', '/login');
  });

  it('renews the idle timeout in the command that reads the session: no renewal after the page', async () => {
    gateway = await createTestGateway({ session: { idleTimeoutSeconds: 600 } });
    const agent = request.agent(gateway.app);
    await agent.get('/__test/login').expect(200);
    await agent.get('/services/prato-tari').expect(200); // the session's form token is made (a save)
    const [key] = await gateway.redis.client.keys(`${sessionKeyPrefix(gateway.redis)}*`);
    await gateway.redis.client.expire(key!, 30);
    const client = gateway.redis.client as unknown as Record<string, (...args: unknown[]) => unknown>;
    const calls: string[] = [];
    for (const command of ['get', 'getEx', 'expire', 'set']) {
      const original = client[command]!;
      client[command] = function (this: unknown, ...args: unknown[]) {
        if (String(args[0]).startsWith(sessionKeyPrefix(gateway!.redis))) calls.push(command);
        return original.apply(this, args);
      };
    }
    await agent.get('/services/prato-tari').expect(200);
    expect(calls).to.deep.equal(['getEx']);
    expect(await gateway.redis.client.ttl(key!)).to.be.within(590, 600);
    // A request whose cookie names no stored session renews nothing and creates nothing.
    calls.length = 0;
    await request(gateway.app)
      .get('/services/prato-tari')
      .set('Cookie', `${gateway.config.session.cookieName}=s%3Aunknown.forged`)
      .expect(200);
    expect(calls).to.deep.equal([]);
  });

  it('ends the session at the absolute lifetime, however active', async () => {
    gateway = await createTestGateway({ session: { idleTimeoutSeconds: 60, absoluteLifetimeSeconds: 2 } });
    const agent = request.agent(gateway.app);
    await agent.get('/__test/login').expect(200);
    for (let i = 0; i < 4; i++) {
      await agent.get('/me').expect(200);
      await sleep(400);
    }
    await sleep(600);
    await agent.get('/me').expect(303).expect('Location', '/login');
    // The expired session is gone from Redis and from the citizen's index.
    expect(await gateway.deps.citizen.sessions.list('RSSMRA80A01H501U')).to.deep.equal([]);
  });
});
