import { expect } from 'chai';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../../src/platform/logger.ts';
import { connectRedis, createRedisConnection, type RedisConnection } from '../../src/platform/redis.ts';
import { migrateUntilSettled, settledMarker } from '../../src/platform/start-migration.ts';
import { createTestGateway, deleteKeys, testConfig, type TestGateway } from '../helpers/gateway.ts';

/**
 * The start migrations SCAN the whole keyspace: each runs at every start only until a pass finds
 * nothing left to move, then never again (until its marker is deleted); what an instance of the earlier
 * version writes afterwards is moved when it is read.
 */
describe('start migrations: a keyspace scan at every start only until one finds nothing to move', () => {
  describe('migrateUntilSettled', () => {
    let redis: RedisConnection;
    before(async () => {
      redis = createRedisConnection(testConfig().redis, createLogger('silent'));
      await connectRedis(redis);
    });
    after(async () => {
      await deleteKeys(redis, redis.prefix);
      await redis.close();
    });

    /** A migration that moves what `left` says, counting its passes. */
    function migration(left: number[]) {
      let passes = 0;
      return {
        run: () => {
          passes++;
          return Promise.resolve({ moved: left.shift() ?? 0, unreadable: 0 });
        },
        passes: () => passes,
      };
    }

    it('runs every start while a pass moves something, settles at the first that moves nothing', async () => {
      const upgrade = migration([40, 3, 0]);
      const lines: string[] = [];
      const logger = createLogger(
        'info',
        new Writable({
          write(line: Buffer, _encoding, done) {
            lines.push(line.toString());
            done();
          },
        }),
      );
      const starts = [];
      for (let i = 0; i < 5; i++)
        starts.push(await migrateUntilSettled(redis, 'upgrade', upgrade.run, logger));
      expect(upgrade.passes()).to.equal(3);
      // What moved, as counts, for the two passes that moved something; nothing for the others.
      expect(lines.map((line) => (JSON.parse(line) as { moved: unknown }).moved)).to.deep.equal([
        { moved: 40, unreadable: 0 },
        { moved: 3, unreadable: 0 },
      ]);
      expect(starts.slice(0, 3).map((start) => start.settled)).to.deep.equal([false, false, false]);
      expect(starts[0]).to.deep.include({ counts: { moved: 40, unreadable: 0 } });
      const settledAt = await redis.client.get(settledMarker(redis, 'upgrade'));
      expect(new Date(settledAt ?? '').toISOString()).to.equal(settledAt);
      expect(starts[4]).to.deep.equal({ settled: true, at: settledAt });
    });

    it('a new installation settles at its first start; deleting the marker runs the pass again', async () => {
      const fresh = migration([]);
      await migrateUntilSettled(redis, 'fresh', fresh.run);
      await migrateUntilSettled(redis, 'fresh', fresh.run);
      expect(fresh.passes()).to.equal(1);
      await redis.client.del(settledMarker(redis, 'fresh'));
      await migrateUntilSettled(redis, 'fresh', fresh.run);
      expect(fresh.passes()).to.equal(2);
    });

    it('a pass that fails leaves no marker: the next start runs it again', async () => {
      let passes = 0;
      const failing = () => {
        passes++;
        return passes === 1 ? Promise.reject(new Error('Redis went away')) : Promise.resolve({ moved: 0 });
      };
      await migrateUntilSettled(redis, 'failing', failing).then(
        () => expect.fail('the failure should reach the start'),
        (error: Error) => expect(error.message).to.equal('Redis went away'),
      );
      expect(await redis.client.exists(settledMarker(redis, 'failing'))).to.equal(0);
      expect((await migrateUntilSettled(redis, 'failing', failing)).settled).to.equal(false);
      expect((await migrateUntilSettled(redis, 'failing', failing)).settled).to.equal(true);
      expect(passes).to.equal(2);
    });
  });

  describe('the gateway', () => {
    const config = testConfig();
    const gateways: TestGateway[] = [];
    const start = async () => {
      const gw = await createTestGateway({}, config);
      gateways.push(gw);
      return gw;
    };
    after(async () => {
      for (const gw of gateways.reverse()) await gw.close();
    });
    const CF = 'RSSMRA80A01H501U';

    it('a new installation settles both migrations at its first start', async () => {
      const gw = await start();
      for (const name of ['citizen-keys', 'procedures-citizen-keys'])
        expect(await gw.redis.client.exists(settledMarker(gw.redis, name)), name).to.equal(1);
    });

    it('once settled, a start leaves what an older instance wrote to be moved at the login, not by a scan', async () => {
      const first = gateways[0]!;
      const legacy = first.deps.citizenKeys.legacyKey(CF, 'favourites');
      // Written by an instance of the earlier version, still running during the upgrade.
      await first.redis.client.sAdd(legacy, 'prato-tari');
      const gw = await start();
      expect(await gw.redis.client.exists(legacy)).to.equal(1);
      await request(gw.app).get(`/__test/login?fiscalCode=${CF}`).expect(200);
      expect(await gw.deps.catalog.citizenServices.favourites(CF)).to.deep.equal(['prato-tari']);
      expect(await gw.redis.client.exists(legacy)).to.equal(0);
    });

    it('with its marker deleted, the next start moves the earlier layout and the one after settles', async () => {
      const first = gateways[0]!;
      const { client } = first.redis;
      const legacy = first.deps.citizenKeys.legacyKey(CF, 'consents');
      await client.hSet(legacy, 'svc', JSON.stringify({ scopes: ['openid'], grantedAt: 0 }));
      await client.del(settledMarker(first.redis, 'citizen-keys'));
      await start();
      expect(await client.exists(legacy)).to.equal(0);
      expect(await client.hGet(first.deps.citizenKeys.key(CF, 'consents'), 'svc')).to.be.a('string');
      expect(await client.exists(settledMarker(first.redis, 'citizen-keys'))).to.equal(0);
      await start();
      expect(await client.exists(settledMarker(first.redis, 'citizen-keys'))).to.equal(1);
    });
  });
});
