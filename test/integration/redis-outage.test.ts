import { expect } from 'chai';
import request from 'supertest';
import { createTestGateway, listen, type TestGateway } from '../helpers/gateway.ts';
import { startTestRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';

const RECOVERY_DEADLINE_MS = 10_000;
const COMMAND_TIMEOUT_MS = 1_000;

/** Polls until `check` passes or the deadline expires (then the last failure is thrown). */
async function eventually(check: () => Promise<void>, deadlineMs = RECOVERY_DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('Redis outage (a private redis-server that the test stops and restarts)', function () {
  this.timeout(30_000);
  let redisServer: TestRedisServer;
  let gateway: TestGateway;
  const unhandled: unknown[] = [];
  const record = (error: unknown) => unhandled.push(error);

  beforeEach(async () => {
    unhandled.length = 0;
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
    redisServer = await startTestRedisServer();
    gateway = await createTestGateway({
      redis: { url: redisServer.url, maxReconnectDelayMs: 200, commandTimeoutMs: COMMAND_TIMEOUT_MS },
    });
  });

  afterEach(async () => {
    await gateway.close();
    await redisServer.dispose();
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  });

  it('answers 503 while Redis is away, keeps /health up, and recovers by itself', async () => {
    const citizen = request.agent(gateway.app);
    await citizen.get('/__test/login').expect(200);
    await citizen.get('/me').expect(200);
    await request(gateway.app).get('/ready').expect(200);

    await redisServer.kill();
    await eventually(async () => {
      expect(gateway.redis.isUp()).to.equal(false);
    });

    const page = await request(gateway.app).get('/').set('Accept', 'text/html').expect(503);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.text).to.contain('Servizio temporaneamente non disponibile');
    expect(page.headers['retry-after']).to.equal('30');
    const english = await request(gateway.app).get('/me').set('Accept-Language', 'en').expect(503);
    expect(english.text).to.contain('Service temporarily unavailable');

    const api = await request(gateway.app).get('/api/v1/body').expect(503);
    expect(api.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(JSON.parse(api.text)).to.include({ status: 503, code: 'redis_unavailable' });

    const ready = await request(gateway.app).get('/ready').expect(503);
    expect(ready.body).to.deep.include({ status: 'not ready' });
    expect(ready.body.checks).to.include({ redis: false });
    await request(gateway.app).get('/health').expect(200, { status: 'ok' });
    await citizen.get('/me').expect(503);

    await redisServer.start();
    await eventually(async () => {
      await request(gateway.app).get('/ready').expect(200);
    });
    await request(gateway.app).get('/').expect(200);
    // The private server keeps nothing (no persistence): the old session is gone, the citizen logs in again.
    await citizen.get('/me').expect(303);
    await citizen.get('/__test/login').expect(200);
    await citizen.get('/me').expect(200);
    expect(unhandled).to.deep.equal([]);
  });

  it('answers 503 (not 500, not a hang) to a request in flight when Redis dies', async () => {
    const login = await request(gateway.app).get('/__test/login').expect(200);
    const cookie = login.headers['set-cookie']![0]!.split(';')[0]!;
    const server = await listen(gateway.app);
    try {
      await request(gateway.app).get('/me').set('Cookie', cookie).expect(200);
      // Frozen, Redis accepts the session read but never answers; then it dies with the command pending.
      redisServer.signal('SIGSTOP');
      const inFlight = fetch(`${server.url}/me`, {
        headers: { Cookie: cookie, Accept: 'text/html' },
        redirect: 'manual',
        signal: AbortSignal.timeout(8000),
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await redisServer.kill('SIGKILL');
      const res = await inFlight;
      expect(res.status).to.equal(503);
      expect(await res.text()).to.contain('Servizio temporaneamente non disponibile');
    } finally {
      await server.close();
    }
    expect(unhandled).to.deep.equal([]);
  });

  it('answers 503 rather than hang while Redis is frozen, and recovers when it resumes', async () => {
    const login = await request(gateway.app).get('/__test/login').expect(200);
    const cookie = login.headers['set-cookie']![0]!.split(';')[0]!;
    const server = await listen(gateway.app);
    const page = (path: string) =>
      fetch(`${server.url}${path}`, {
        headers: { Cookie: cookie, Accept: 'text/html' },
        redirect: 'manual',
        signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS * 8), // a hang fails the test
      });
    try {
      expect((await page('/me')).status).to.equal(200);
      // Frozen: the connection stays open and nothing answers. The requests waiting on it get a 503
      // once the commands have waited the command timeout; later ones at once, until Redis answers.
      redisServer.signal('SIGSTOP');
      const waiting = await Promise.all([page('/me'), page('/me')]);
      expect(waiting.map((res) => res.status)).to.deep.equal([503, 503]);
      expect(await waiting[0]!.text()).to.contain('Servizio temporaneamente non disponibile');
      expect((await page('/')).status).to.equal(503);
      await request(gateway.app).get('/ready').expect(503);
      await request(gateway.app).get('/health').expect(200);

      redisServer.signal('SIGCONT');
      await eventually(async () => {
        expect((await page('/me')).status).to.equal(200); // the same session: nothing was lost
      });
      await request(gateway.app).get('/ready').expect(200);
    } finally {
      await server.close();
    }
    expect(unhandled).to.deep.equal([]);
  });
});
