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
import { createCitizenRef } from '../../src/citizen/reference.ts';
import { createConfirmationRepository } from '../../src/procedures/confirmation.repository.ts';
import { createDataCipher } from '../../src/citizen/data-cipher.ts';
import { createDraftRepository } from '../../src/procedures/draft.repository.ts';
import { deleteKeys, testConfig } from '../helpers/gateway.ts';

/** A citizen's cases, drafts and confirmations are filed under a keyed hash of the fiscal code. */

const CITIZENS = ['RSSMRA80A01H501U', 'BNCLCU85M10G999Z'];

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

/** The same connection, counting the commands sent through it. */
function counting(redis: RedisConnection): { redis: RedisConnection; sent: () => number } {
  let sent = 0;
  const client = new Proxy(redis.client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        sent++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const sendCommand: RedisConnection['sendCommand'] = (args, key) => {
    sent++;
    return redis.sendCommand(args, key);
  };
  return { redis: { ...redis, client, sendCommand }, sent: () => sent };
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

  it("reads a citizen's cases and draft, and removes a draft, in one command each", async () => {
    const space = scenario();
    const [fiscalCode] = CITIZENS as [string];
    const { drafts } = repositoriesOf(space);
    await drafts.save(fiscalCode, 'newborn', { values: {}, completed: ['child'] });
    const { redis: counted, sent } = counting(space);
    const read = repositoriesOf(counted);
    expect(await read.cases.listByCitizen(fiscalCode)).to.deep.equal([]);
    expect(sent()).to.equal(1);
    expect(await read.drafts.get(fiscalCode, 'newborn')).to.deep.equal({ values: {}, completed: ['child'] });
    expect(sent()).to.equal(2);
    await read.drafts.remove(fiscalCode, 'newborn');
    expect(sent()).to.equal(3);
    expect(await drafts.get(fiscalCode, 'newborn')).to.equal(undefined);
  });
});
