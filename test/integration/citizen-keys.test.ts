import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createCitizenServices } from '../../src/catalog/citizen-services.repository.ts';
import { createCitizenKeys, migrateCitizenKeys } from '../../src/platform/citizen-keys.ts';
import { createCitizenRef } from '../../src/platform/citizen-ref.ts';
import { createLogger } from '../../src/platform/logger.ts';
import {
  connectRedis,
  createRedisConnection,
  type RedisConnection,
  type SingleClient,
} from '../../src/platform/redis.ts';
import { deleteKeys, testConfig } from '../helpers/gateway.ts';

/**
 * Every module files a citizen under `citizen:{<ref>}:…`, a keyed hash of the fiscal code; what the
 * earlier layout filed under `citizen:{<fiscal code>}:…` moves at start — idempotently, by several
 * instances at once, with nothing lost when a run is cut short anywhere.
 */

const CITIZENS = ['RSSMRA80A01H501U', 'BNCLCU85M10G999Z'];
const TTL_MS = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

const citizenRef = createCitizenRef(randomBytes(32)); // test-only key

function modulesOf(redis: RedisConnection) {
  const keys = createCitizenKeys(redis, citizenRef);
  const services = createCitizenServices(redis, keys);
  return { keys, services, movers: { ...services.legacyMovers } };
}

/** The same connection under another key prefix (each scenario its own key space). */
const under = (redis: RedisConnection, prefix: string): RedisConnection => ({ ...redis, prefix });

/** A connection that dies after `commands` commands, as if the process had been killed there. */
function dyingAfter(redis: RedisConnection, commands: number): RedisConnection {
  let sent = 0;
  const send = () => {
    if (++sent > commands) throw new Error('killed');
  };
  const client = new Proxy(redis.client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        send();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    ...redis,
    client,
    sendCommand: (args, key) => {
      send();
      return redis.sendCommand(args, key);
    },
  };
}

/** What the layout before references left, written as that code wrote it (keys named after the fiscal code). */
async function fileLegacy(redis: RedisConnection, fiscalCodes = CITIZENS): Promise<void> {
  const { client, prefix } = redis;
  for (const [n, cf] of fiscalCodes.entries()) {
    const legacy = (what: string) => `${prefix}citizen:{${cf}}:${what}`;
    await client
      .multi()
      .sAdd(legacy('favourites'), ['prato-tari', `svc-${n}`])
      .pExpire(legacy('favourites'), TTL_MS)
      .exec();
    await client
      .multi()
      .zAdd(legacy('recent'), [
        { score: T0 + 1, value: 'prato-tari' },
        { score: T0 + 2, value: `svc-${n}` },
      ])
      .pExpire(legacy('recent'), TTL_MS)
      .exec();
  }
}

/** Everything fileLegacy wrote, read through the modules (so from the citizen's reference). */
async function expectAllThere(redis: RedisConnection, fiscalCodes = CITIZENS): Promise<void> {
  const { services } = modulesOf(redis);
  for (const [n, cf] of fiscalCodes.entries()) {
    expect(await services.favourites(cf)).to.deep.equal(['prato-tari', `svc-${n}`]);
    expect(await services.recent(cf)).to.deep.equal([`svc-${n}`, 'prato-tari']);
  }
}

async function keysUnder(redis: RedisConnection): Promise<string[]> {
  const client = redis.client as SingleClient;
  const names: string[] = [];
  const match = `${redis.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  for await (const keys of client.scanIterator({ MATCH: match, COUNT: 500 })) names.push(...keys);
  return names.sort();
}

/** Every key under the prefix with its type, expiry (rounded to minutes) and content, as one text. */
async function dump(redis: RedisConnection): Promise<string> {
  const client = redis.client as SingleClient;
  const out: string[] = [];
  for (const name of await keysUnder(redis)) {
    const type = await client.type(name);
    const ttl = Math.round((await client.pTTL(name)) / 60_000);
    const content =
      type === 'set'
        ? (await client.sMembers(name)).sort()
        : type === 'zset'
          ? await client.zRangeWithScores(name, 0, -1)
          : type === 'hash'
            ? await client.hGetAll(name)
            : type === 'list'
              ? await client.lRange(name, 0, -1)
              : await client.get(name);
    out.push(`${name} ${type} ${ttl} ${JSON.stringify(content)}`);
  }
  return out.join('\n');
}

describe('Citizen keys: no fiscal code in key names, the earlier layout moved at start', () => {
  const config = testConfig();
  let redis: RedisConnection;
  let n = 0;
  const scenario = () => under(redis, `${config.redis.prefix}s${n++}:`);

  before(async () => {
    redis = createRedisConnection(config.redis, createLogger('silent'));
    await connectRedis(redis);
  });

  after(async () => {
    await deleteKeys(redis, config.redis.prefix);
    await redis.close();
  });

  it('moves every per-citizen key to the reference, keeping expiries; a second run changes nothing', async () => {
    const space = scenario();
    await fileLegacy(space);
    const { movers } = modulesOf(space);
    const counts = await migrateCitizenKeys(space, movers);
    expect(counts).to.deep.equal({ favourites: 2, recent: 2 });
    await expectAllThere(space);
    const names = await keysUnder(space);
    for (const cf of CITIZENS) expect(names.join('\n')).to.not.contain(cf);
    expect(names).to.have.length(4);
    for (const name of names) {
      expect(name).to.match(/:citizen:\{[0-9a-f]{64}\}:[a-z:-]+$/);
      const ttl = await space.client.pTTL(name);
      expect(ttl, name).to.be.within(TTL_MS - 60_000, TTL_MS);
    }
    const before = await dump(space);
    expect(await migrateCitizenKeys(space, movers)).to.deep.equal({});
    expect(await dump(space)).to.equal(before);
  });

  it('merges with what the new layout already holds (its values win) and leaves other keys alone', async () => {
    const space = scenario();
    const [mario] = CITIZENS;
    await fileLegacy(space, [mario!]);
    const { services, movers } = modulesOf(space);
    // Written by an upgraded instance before the move: a newer use of a service the legacy key also has.
    await services.recordUse(mario!, 'prato-tari', T0 + 10);
    await services.toggleFavourite(mario!, 'newer');
    const { client, prefix } = space;
    const foreign = [
      `${prefix}citizen:{${mario}}:constructor`, // no mover of that name, even an inherited one
      `${prefix}citizen:{${mario}}:unknown`,
      `${prefix}citizen:${mario}:cases`, // the procedures' own, moved by their migration
      `${prefix}citizen:{}:favourites`,
    ];
    for (const key of foreign) await client.set(key, 'kept');

    expect(await migrateCitizenKeys(space, movers)).to.deep.equal({ favourites: 1, recent: 1 });
    expect(await services.favourites(mario!)).to.deep.equal(['newer', 'prato-tari', 'svc-0']);
    expect(await services.recent(mario!)).to.deep.equal(['prato-tari', 'svc-0']);
    expect(await client.zScore(modulesOf(space).keys.key(mario!, 'recent'), 'prato-tari')).to.equal(T0 + 10);
    for (const key of foreign) expect(await client.get(key), key).to.equal('kept');
  });

  it('a run killed after any command loses nothing: the next start finishes it', async () => {
    let points = 0;
    for (let commands = 0; ; commands++) {
      const space = scenario();
      await fileLegacy(space);
      try {
        const dying = dyingAfter(space, commands);
        await migrateCitizenKeys(dying, modulesOf(dying).movers);
        break;
      } catch (error) {
        expect((error as Error).message).to.equal('killed');
        points++;
      }
      await new Promise((resolve) => setTimeout(resolve, 20)); // commands already sent land
      await migrateCitizenKeys(space, modulesOf(space).movers);
      await expectAllThere(space);
      expect((await keysUnder(space)).join('\n')).to.not.match(new RegExp(CITIZENS.join('|')));
    }
    expect(points).to.be.greaterThan(8); // it was killed at every step of a real run
  });

  it('three instances starting together move everything once', async () => {
    const space = scenario();
    await fileLegacy(space);
    const runs = await Promise.all([1, 2, 3].map(() => migrateCitizenKeys(space, modulesOf(space).movers)));
    expect(runs.some((counts) => Object.keys(counts).length > 0)).to.equal(true);
    await expectAllThere(space);
    expect((await keysUnder(space)).join('\n')).to.not.match(new RegExp(CITIZENS.join('|')));
  });
});
