import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createClient } from 'redis';
import request from 'supertest';
import { loadConfig } from '../../src/config/load.ts';
import { redisAnswers, RedisUnavailableError, sparePort } from '../../src/platform/embedded-redis.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { resolveRedis } from '../../src/platform/redis-setup.ts';
import { createTestGateway, TEST_ONLY_SESSION_SECRET } from '../helpers/gateway.ts';

const logger = createLogger('silent');

/** A Redis configuration with nothing set, so resolveRedis looks at the probe address and then starts its own. */
function unconfiguredRedis(embedded: Record<string, unknown>) {
  return loadConfig({
    env: {},
    overrides: { env: 'test', session: { secrets: [TEST_ONLY_SESSION_SECRET] }, redis: { embedded } },
  }).redis;
}

describe('embedded Redis (no REDIS_URL, nothing answering on the probe address)', function () {
  this.timeout(20_000);
  let dir: string;
  let probePort: number;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'varco-embedded-'));
    probePort = await sparePort(); // closed again: nothing answers there
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses a Redis that already answers on the probe address instead of starting one', async () => {
    const { hostname, port } = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    const config = unconfiguredRedis({ dir, probe: { host: hostname, port: Number(port || 6379) } });
    const resolved = await resolveRedis(config, logger);
    expect(resolved.embedded).to.equal(undefined);
    expect(resolved.config.url).to.equal(`redis://${hostname}:${port || 6379}`);
  });

  it('starts a private redis-server with AOF under the data dir, serves the gateway, and stops it', async () => {
    const dataDir = path.join(dir, 'redis');
    const resolved = await resolveRedis(
      unconfiguredRedis({ dir: dataDir, probe: { host: '127.0.0.1', port: probePort } }),
      logger,
    );
    const embedded = resolved.embedded!;
    expect(embedded).to.be.an('object');
    expect(resolved.config.url).to.equal(embedded.url);
    const port = Number(new URL(embedded.url).port);
    try {
      const client = createClient({ url: embedded.url });
      await client.connect();
      expect(await client.configGet('appendonly')).to.deep.equal({ appendonly: 'yes' });
      expect(await client.configGet('dir')).to.deep.equal({ dir: dataDir });
      await client.close();

      const gateway = await createTestGateway({ redis: { url: embedded.url } });
      try {
        await request(gateway.app).get('/').expect(200);
        const agent = request.agent(gateway.app);
        await agent.get('/__test/login').expect(200);
        await agent.get('/me').expect(200);
      } finally {
        await gateway.close();
      }
      expect(existsSync(path.join(dataDir, 'appendonlydir'))).to.equal(true);
    } finally {
      await embedded.stop();
    }
    expect(await redisAnswers('127.0.0.1', port)).to.equal(false);
  });

  it('without a redis-server binary, fails with a message that says how to install Redis or set REDIS_URL', async () => {
    const config = unconfiguredRedis({
      dir,
      binary: path.join(dir, 'no-such-redis-server'),
      probe: { host: '127.0.0.1', port: probePort },
    });
    const error = await resolveRedis(config, logger).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RedisUnavailableError);
    expect((error as Error).message)
      .to.contain('apt-get install redis-server')
      .and.contain('REDIS_URL=');
  });

  it('the server process exits non-zero with that message', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        PORT: String(await sparePort()),
        HOST: '127.0.0.1',
        SESSION_SECRETS: TEST_ONLY_SESSION_SECRET,
        REDIS_PREFIX: 'varco-test:embedded:',
        REDIS_PROBE: `127.0.0.1:${probePort}`,
        REDIS_EMBEDDED_BINARY: path.join(dir, 'no-such-redis-server'),
        REDIS_EMBEDDED_DIR: path.join(dir, 'redis'),
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).to.equal(1);
    expect(stderr).to.contain('Varco needs Redis').and.contain('REDIS_URL');
    expect(stderr).not.to.match(/\n\s+at /); // a message for the operator, not a stack trace
  });
});
