import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/platform/logger.ts';
import {
  connectRedis,
  createRedisConnection,
  type RedisConnection,
  type SingleClient,
} from '../../src/platform/redis.ts';
import { createCaseRepository, type CaseRecord } from '../../src/procedures/case.repository.ts';
import { newCaseId } from '../../src/procedures/case.service.ts';
import { migrateCitizenKeys } from '../../src/procedures/citizen-keys.migration.ts';
import { createCitizenRef, isCitizenRef } from '../../src/platform/citizen-ref.ts';
import { createConfirmationRepository } from '../../src/procedures/confirmation.repository.ts';
import { createDataCipher } from '../../src/procedures/data-cipher.ts';
import { createDraftRepository } from '../../src/procedures/draft.repository.ts';
import type { Draft } from '../../src/procedures/journey.ts';
import { deleteKeys, testConfig } from '../helpers/gateway.ts';

/**
 * Issue 7, follow-up: a citizen's cases, drafts and confirmations are filed under a keyed hash of the
 * fiscal code, and what the earlier layout filed under the fiscal code itself moves over at start —
 * idempotently, by several instances at once, and with nothing lost when a run is cut short anywhere.
 */

const CITIZENS = ['RSSMRA80A01H501U', 'BNCLCU85M10G999Z', 'VRDGPP70C15F205X'];
const TTL_MS = 3_600_000;

type Repositories = ReturnType<typeof repositoriesOf>;

const cipher = createDataCipher([{ id: 't1', key: randomBytes(32) }]); // test-only key
const citizenRef = createCitizenRef(randomBytes(32)); // test-only key

function repositoriesOf(redis: RedisConnection) {
  return {
    cases: createCaseRepository(redis, citizenRef),
    drafts: createDraftRepository(redis, cipher, citizenRef, 3600),
    confirmations: createConfirmationRepository(redis, citizenRef),
  };
}

/** The same connection under another key prefix (each scenario its own key space). */
const under = (redis: RedisConnection, prefix: string): RedisConnection => ({ ...redis, prefix });

/**
 * A connection that dies after `commands` commands: every later one throws, as if the process had been
 * killed there (commands already sent still reach Redis).
 */
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

interface LegacyCitizen {
  fiscalCode: string;
  /** Case ids, oldest first. */
  cases: string[];
  draft: Draft;
  token: string;
}

/**
 * What the layout before citizen references left in Redis, written as that code wrote it: two cases per
 * citizen owned by the fiscal code and indexed under citizen:<cf>:cases, a draft under
 * proc:draft:<cf>:newborn encrypted for that name, a settled confirmation under proc:confirm:<cf>:<token>.
 */
async function fileLegacy(redis: RedisConnection, fiscalCodes = CITIZENS): Promise<LegacyCitizen[]> {
  const { client, prefix } = redis;
  const { cases } = repositoriesOf(redis);
  const out: LegacyCitizen[] = [];
  for (const [n, fiscalCode] of fiscalCodes.entries()) {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = newCaseId();
      const at = new Date(Date.UTC(2026, 0, 1 + n, 10, i)).toISOString();
      const record: CaseRecord = {
        id,
        procedureId: 'newborn',
        version: 1,
        owner: citizenRef(fiscalCode),
        createdAt: at,
        updatedAt: at,
        status: 'open',
        rev: 1,
        steps: { 'birth-registration': { status: 'queued', at } },
      };
      await cases.create(record, { form: cipher.encrypt('{}', `${id}:form`) }, [{ at, status: 'open' }]);
      await client.hSet(`${prefix}proc:case:{${id}}`, 'owner', fiscalCode);
      await client.del(`${prefix}proc:citizen:${citizenRef(fiscalCode)}:cases`);
      await client.zAdd(`${prefix}citizen:${fiscalCode}:cases`, { score: Date.parse(at), value: id });
      ids.push(id);
    }
    const draft: Draft = { values: { childGivenName: `Giulia ${n}` }, completed: ['child'] };
    const context = `draft:${fiscalCode}:newborn`;
    await client.set(
      `${prefix}proc:draft:${fiscalCode}:newborn`,
      cipher.encrypt(JSON.stringify(draft), context),
      {
        PX: TTL_MS,
      },
    );
    const token = randomBytes(16).toString('base64url');
    await client.set(`${prefix}proc:confirm:${fiscalCode}:${token}`, ids[1] as string, { PX: TTL_MS });
    out.push({ fiscalCode, cases: ids, draft, token });
  }
  return out;
}

/** Every key under the prefix and every value it holds, as one text. */
async function dump(redis: RedisConnection): Promise<string> {
  const client = redis.client as SingleClient;
  let all = '';
  for await (const keys of client.scanIterator({ MATCH: `${redis.prefix}*`, COUNT: 500 })) {
    for (const key of keys) {
      const type = await client.type(key);
      all += `${key}\n`;
      if (type === 'string') all += `${await client.get(key)}\n`;
      if (type === 'hash') all += `${JSON.stringify(await client.hGetAll(key))}\n`;
      if (type === 'list') all += `${(await client.lRange(key, 0, -1)).join('\n')}\n`;
      if (type === 'zset') all += `${(await client.zRange(key, 0, -1)).join('\n')}\n`;
    }
  }
  return all;
}

/** What every citizen must find, whatever has been moved so far. */
async function expectAllThere(repositories: Repositories, citizens: LegacyCitizen[]): Promise<void> {
  for (const citizen of citizens) {
    const ids = await repositories.cases.listByCitizen(citizen.fiscalCode);
    expect(ids, citizen.fiscalCode).to.deep.equal([...citizen.cases].reverse()); // newest first, no doubles
    for (const id of citizen.cases)
      expect((await repositories.cases.get(id))?.owner).to.equal(citizenRef(citizen.fiscalCode));
    expect(await repositories.drafts.get(citizen.fiscalCode, 'newborn')).to.deep.equal(citizen.draft);
  }
}

/** Everything moved: no fiscal code left in any key or value, expiries kept. */
async function expectMigrated(redis: RedisConnection, repositories: Repositories, citizens: LegacyCitizen[]) {
  await expectAllThere(repositories, citizens);
  const raw = await dump(redis);
  for (const citizen of citizens) {
    expect(raw).to.not.include(citizen.fiscalCode);
    expect(await repositories.confirmations.caseFiledUnder(citizen.fiscalCode, citizen.token, 0)).to.equal(
      citizen.cases[1],
    );
    const ref = citizenRef(citizen.fiscalCode);
    const ttl = await redis.client.pTTL(`${redis.prefix}proc:draft:${ref}:newborn`);
    expect(ttl).to.be.within(TTL_MS - 60_000, TTL_MS);
    const confirmationTtl = await redis.client.pTTL(`${redis.prefix}proc:confirm:${ref}:${citizen.token}`);
    expect(confirmationTtl).to.be.within(TTL_MS - 60_000, TTL_MS);
  }
}

describe('composite procedures: citizens filed under keyed references, never fiscal codes', function () {
  this.timeout(60_000);
  const config = testConfig();
  let redis: RedisConnection;
  let scenarios = 0;
  const scenario = () => under(redis, `${config.redis.prefix}${++scenarios}:`);

  before(async () => {
    redis = createRedisConnection(config.redis, createLogger('silent'));
    await connectRedis(redis);
  });
  after(async () => {
    await deleteKeys(redis, config.redis.prefix);
    await redis.close();
  });

  it('files new cases, drafts and confirmations under the reference: no fiscal code in a key or a value', async () => {
    const space = scenario();
    const { cases, drafts, confirmations } = repositoriesOf(space);
    const [fiscalCode] = CITIZENS as [string];
    const at = new Date().toISOString();
    const id = newCaseId();
    const record: CaseRecord = {
      id,
      procedureId: 'newborn',
      version: 1,
      owner: cases.ownerRef(fiscalCode),
      createdAt: at,
      updatedAt: at,
      status: 'open',
      rev: 1,
      steps: {},
    };
    await cases.create(record, { form: cipher.encrypt('{}', `${id}:form`) }, [{ at, status: 'open' }]);
    await drafts.save(fiscalCode, 'newborn', { values: {}, completed: [] });
    expect(await confirmations.claim(fiscalCode, 'token-1')).to.equal(true);
    expect(await confirmations.claim(fiscalCode, 'token-1')).to.equal(false);
    await confirmations.settle(fiscalCode, 'token-1', id);

    expect(await cases.listByCitizen(fiscalCode)).to.deep.equal([id]);
    expect(await cases.listByCitizen('BNCLCU85M10G999Z')).to.deep.equal([]);
    expect(await confirmations.caseFiledUnder(fiscalCode, 'token-1', 0)).to.equal(id);
    expect(await confirmations.caseFiledUnder('BNCLCU85M10G999Z', 'token-1', 0)).to.equal(undefined);
    expect(await drafts.get('BNCLCU85M10G999Z', 'newborn')).to.equal(undefined);
    const raw = await dump(space);
    expect(raw).to.include(citizenRef(fiscalCode)); // the dump did see the citizen's keys
    expect(raw).to.not.include(fiscalCode);
    // A case record carrying a fiscal code as its owner is refused, not written.
    let refused: unknown;
    await cases
      .create({ ...record, id: newCaseId(), owner: fiscalCode }, { form: 'x' }, [])
      .catch((e: unknown) => {
        refused = e;
      });
    expect(refused).to.be.an('error');
    expect(await dump(space)).to.not.include(fiscalCode);
  });

  it('moves the earlier layout at start; a second run finds nothing to do', async () => {
    const space = scenario();
    const citizens = await fileLegacy(space);
    expect(await dump(space)).to.include(CITIZENS[0]); // the fixture is the earlier layout

    const first = await migrateCitizenKeys(space, repositoriesOf(space));
    expect(first).to.deep.equal({ indexes: 3, cases: 6, drafts: 3, confirmations: 3, unreadableDrafts: 0 });
    await expectMigrated(space, repositoriesOf(space), citizens);
    const second = await migrateCitizenKeys(space, repositoriesOf(space));
    expect(second).to.deep.equal({ indexes: 0, cases: 0, drafts: 0, confirmations: 0, unreadableDrafts: 0 });
    await expectMigrated(space, repositoriesOf(space), citizens);
  });

  it('reads what is not moved yet: an index, a draft and a case owner an older instance still wrote', async () => {
    const space = scenario();
    const citizens = await fileLegacy(space);
    await expectAllThere(repositoriesOf(space), citizens); // no migration ran: reads alone find everything
    // The reads moved the indexes and drafts they read; the owners are moved by the migration.
    const rest = await migrateCitizenKeys(space, repositoriesOf(space));
    expect(rest).to.include({ indexes: 0, drafts: 0, cases: 6 });
    await expectMigrated(space, repositoriesOf(space), citizens);
  });

  it('several instances migrating together lose nothing and double nothing', async () => {
    const space = scenario();
    const citizens = await fileLegacy(space);
    const instances = await Promise.all(
      [1, 2, 3].map(async () => {
        const own = createRedisConnection(config.redis, createLogger('silent'));
        await connectRedis(own);
        return under(own, space.prefix);
      }),
    );
    try {
      const runs = await Promise.all(instances.map((own) => migrateCitizenKeys(own, repositoriesOf(own))));
      const total = (field: keyof (typeof runs)[number]) => runs.reduce((sum, run) => sum + run[field], 0);
      expect(total('drafts')).to.be.within(3, 9);
      await expectMigrated(space, repositoriesOf(space), citizens);
    } finally {
      await Promise.all(instances.map((own) => own.close()));
    }
  });

  it('a run killed after any command loses nothing: the lists stay complete, and the next start finishes', async () => {
    let finished = false;
    let points = 0;
    for (let commands = 0; !finished; commands++) {
      const space = scenario();
      const citizens = await fileLegacy(space, CITIZENS.slice(0, 2));
      try {
        const dying = dyingAfter(space, commands);
        await migrateCitizenKeys(dying, repositoriesOf(dying));
        finished = true;
      } catch (error) {
        expect((error as Error).message).to.equal('killed');
        points++;
      }
      await new Promise((resolve) => setTimeout(resolve, 20)); // commands already sent land
      // Killed here: another instance serves the citizens meanwhile, then the next start finishes.
      await expectAllThere(repositoriesOf(space), citizens);
      await migrateCitizenKeys(space, repositoriesOf(space));
      await expectMigrated(space, repositoriesOf(space), citizens);
      await deleteKeys(space, space.prefix);
    }
    expect(points).to.be.greaterThan(20); // it was killed at every step of a real run
  });

  it('a read that moves an index or a draft, killed after any command, loses nothing', async () => {
    for (let commands = 0; commands < 6; commands++) {
      const space = scenario();
      const citizens = await fileLegacy(space, CITIZENS.slice(0, 1));
      const dying = repositoriesOf(dyingAfter(space, commands));
      await dying.cases.listByCitizen(citizens[0]!.fiscalCode).catch(() => undefined);
      await dying.drafts.get(citizens[0]!.fiscalCode, 'newborn').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expectAllThere(repositoriesOf(space), citizens);
      await deleteKeys(space, space.prefix);
    }
  });

  it('keeps a newer draft saved under the reference, and leaves alone what is not its own', async () => {
    const space = scenario();
    const [mario] = await fileLegacy(space, CITIZENS.slice(0, 1));
    const newer: Draft = { values: { childGivenName: 'Newer' }, completed: [] };
    const { drafts } = repositoriesOf(space);
    await drafts.save(mario!.fiscalCode, 'newborn', newer);
    const { client, prefix } = space;
    // Not the earlier layout: another module's per-citizen key, malformed names, an undecryptable draft.
    const foreign = [
      `${prefix}citizen:{${mario!.fiscalCode}}:consents`,
      `${prefix}proc:draft:just-one-part`,
      `${prefix}proc:confirm:a:b:c`,
      `${prefix}citizen:x:y:cases`,
    ];
    for (const key of foreign) await client.set(key, 'kept');
    await client.set(`${prefix}proc:draft:${CITIZENS[1]}:newborn`, 'v1.gone.AAAA.BBBB.CCCC', { PX: TTL_MS });

    const counts = await migrateCitizenKeys(space, repositoriesOf(space));
    expect(counts).to.include({ drafts: 1, unreadableDrafts: 1 });
    expect(await drafts.get(mario!.fiscalCode, 'newborn')).to.deep.equal(newer);
    expect(await client.exists(`${prefix}proc:draft:${mario!.fiscalCode}:newborn`)).to.equal(0);
    for (const key of foreign) expect(await client.get(key), key).to.equal('kept');
    expect(await client.exists(`${prefix}proc:draft:${CITIZENS[1]}:newborn`)).to.equal(1); // left to expire
    expect(await drafts.get(CITIZENS[1]!, 'newborn')).to.equal(undefined); // unreadable: no draft, no error
  });

  it('touches only its own prefix, even one with glob characters', async () => {
    const base = `${config.redis.prefix}glob:`;
    const starred = under(redis, `${base}[ab]*:`);
    const neighbour = under(redis, `${base}a:`); // what "[ab]*:" would match as a pattern
    await fileLegacy(starred, CITIZENS.slice(0, 1));
    const untouched = await fileLegacy(neighbour, CITIZENS.slice(1, 2));
    const before = await dump(neighbour);
    const counts = await migrateCitizenKeys(starred, repositoriesOf(starred));
    expect(counts).to.include({ cases: 2, drafts: 1, confirmations: 1 });
    expect(await dump(neighbour)).to.equal(before);
    expect(before).to.include(untouched[0]!.fiscalCode);
    expect(isCitizenRef(citizenRef(untouched[0]!.fiscalCode))).to.equal(true);
  });
});
