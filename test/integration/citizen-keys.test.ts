import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import * as cheerio from 'cheerio';
import * as oidc from 'openid-client';
import request from 'supertest';
import { createCitizenServices } from '../../src/catalog/citizen-services.repository.ts';
import { createCitizenRecords } from '../../src/identity/citizen-record.ts';
import { createSessionIndex } from '../../src/identity/session-index.ts';
import { createCitizenKeys, migrateCitizenKeys } from '../../src/platform/citizen-keys.ts';
import { createCitizenRef } from '../../src/platform/citizen-ref.ts';
import { createLogger } from '../../src/platform/logger.ts';
import {
  connectRedis,
  createRedisConnection,
  type RedisConnection,
  type SingleClient,
} from '../../src/platform/redis.ts';
import { sessionKeyPrefix } from '../../src/platform/sessions.ts';
import { createDataCipher } from '../../src/procedures/data-cipher.ts';
import { createAccessHistory } from '../../src/sso/access-history.repository.ts';
import { createAccounts } from '../../src/sso/accounts.repository.ts';
import { createConsents } from '../../src/sso/consents.repository.ts';
import type { FieldDefinition } from '../../src/procedures/definition.schema.ts';
import type { FormValues } from '../../src/procedures/form.ts';
import { createTestGateway, csrfTokenFrom, deleteKeys, testConfig } from '../helpers/gateway.ts';
import { newbornForm } from '../helpers/procedures.ts';
import {
  discoverClient,
  enterService,
  registerSsoService,
  startSsoGateway,
  TestBrowser,
} from '../helpers/sso.ts';

/**
 * Every module files a citizen under `citizen:{<ref>}:…`, a keyed hash of the fiscal code; what the
 * earlier layout filed under `citizen:{<fiscal code>}:…` moves at start — idempotently, by several
 * instances at once, with nothing lost when a run is cut short anywhere.
 */

const CITIZENS = ['RSSMRA80A01H501U', 'BNCLCU85M10G999Z'];
const TTL_MS = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

const citizenRef = createCitizenRef(randomBytes(32)); // test-only key
const cipher = createDataCipher([{ id: 't1', key: randomBytes(32) }]); // test-only key
const HISTORY_LENGTH = 3;

function modulesOf(redis: RedisConnection) {
  const keys = createCitizenKeys(redis, citizenRef);
  const services = createCitizenServices(redis, keys);
  const records = createCitizenRecords(redis, keys);
  const sessions = createSessionIndex(redis, keys, { retentionSeconds: TTL_MS / 1000 });
  const consents = createConsents(redis, keys);
  const history = createAccessHistory(redis, keys, { length: HISTORY_LENGTH });
  const accounts = createAccounts(redis, keys, cipher, { ttlSeconds: TTL_MS / 1000 });
  return {
    keys,
    services,
    records,
    sessions,
    consents,
    history,
    accounts,
    movers: {
      ...services.legacyMovers,
      ...records.legacyMovers,
      ...sessions.legacyMovers,
      ...consents.legacyMovers,
      ...history.legacyMovers,
      ...accounts.legacyMovers,
    },
  };
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
    const id = `spid https://idp-${n}.test.invalid`;
    await client
      .multi()
      .hSet(legacy('profile'), {
        createdAt: String(T0),
        [`identity:${id}`]: JSON.stringify({ provider: 'spid', issuer: `https://idp-${n}.test.invalid` }),
        [`first:${id}`]: String(T0),
        [`last:${id}`]: String(T0 + 5),
        [`level:${id}`]: '2',
        'pref:lang': 'en',
      })
      .pExpire(legacy('profile'), TTL_MS)
      .exec();
    // A live session (its own key holds no fiscal code in its name) and its index entries.
    const sessionId = `session-${n}`;
    await client.set(`${sessionKeyPrefix(redis)}${sessionId}`, '{}', { PX: TTL_MS });
    await client
      .multi()
      .zAdd(legacy('sessions'), { score: T0 + 7, value: sessionId })
      .hSet(
        legacy('sessions:meta'),
        sessionId,
        JSON.stringify({ userAgent: 'UA', provider: 'spid', createdAt: T0 }),
      )
      .pExpire(legacy('sessions'), TTL_MS)
      .pExpire(legacy('sessions:meta'), TTL_MS)
      .exec();
    await client.hSet(legacy('consents'), 'prato-tari', JSON.stringify(consentOf(n)));
    // Newest first, as the earlier code pushed them; no expiry.
    await client.rPush(
      legacy('access-history'),
      [1, 0].map((i) => JSON.stringify(accessOf(n, i))),
    );
    await client.set(legacy('sso-account'), JSON.stringify(accountOf(cf, n)), { PX: TTL_MS });
  }
}

const consentOf = (n: number) => ({
  serviceId: 'prato-tari',
  bodyId: 'c_g999',
  claims: ['fiscal_number'],
  at: T0 + n,
  grantIds: [`grant-${n}`],
});
const accessOf = (n: number, i: number) => ({
  at: T0 + 10 * n + i,
  bodyId: 'c_g999',
  serviceId: 'prato-tari',
  via: 'id_token' as const,
  claims: ['fiscal_number'],
});
const accountOf = (fiscalCode: string, n: number) => ({
  fiscalCode,
  name: `Mario ${n}`,
  familyName: 'Rossi',
  dateOfBirth: '1980-01-01',
  email: `mario${n}@example.it`,
});

/** Everything fileLegacy wrote, read through the modules (so from the citizen's reference). */
async function expectAllThere(redis: RedisConnection, fiscalCodes = CITIZENS): Promise<void> {
  const { services, records, sessions, consents, history, accounts } = modulesOf(redis);
  for (const [n, cf] of fiscalCodes.entries()) {
    expect(await services.favourites(cf)).to.deep.equal(['prato-tari', `svc-${n}`]);
    expect(await services.recent(cf)).to.deep.equal([`svc-${n}`, 'prato-tari']);
    expect(await records.linkedIdentities(cf)).to.deep.equal([
      {
        provider: 'spid',
        issuer: `https://idp-${n}.test.invalid`,
        firstLoginAt: T0,
        lastLoginAt: T0 + 5,
        lastLevel: 2,
      },
    ]);
    expect(await records.preferences(cf)).to.deep.equal({ lang: 'en' });
    const [session, ...others] = await sessions.list(cf);
    expect(others).to.deep.equal([]);
    expect(await consents.list(cf)).to.deep.equal([consentOf(n)]);
    expect(await history.list(cf)).to.deep.equal([accessOf(n, 1), accessOf(n, 0)]);
    expect(await accounts.find(cf)).to.deep.equal(accountOf(cf, n));
    expect(session).to.include({
      sessionId: `session-${n}`,
      userAgent: 'UA',
      provider: 'spid',
      lastSeenAt: T0 + 7,
    });
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
    const each = 2;
    expect(counts).to.deep.equal({
      favourites: each,
      recent: each,
      profile: each,
      sessions: each,
      'sessions:meta': each,
      consents: each,
      'access-history': each,
      'sso-account': each,
    });
    await expectAllThere(space);
    const names = await keysUnder(space);
    for (const cf of CITIZENS) expect(names.join('\n')).to.not.contain(cf);
    expect(names).to.have.length(18); // 8 per citizen, and the two sessions
    for (const name of names.filter((key) => !key.startsWith(sessionKeyPrefix(space)))) {
      expect(name).to.match(/:citizen:\{[0-9a-f]{64}\}:[a-z:-]+$/);
      const ttl = await space.client.pTTL(name);
      if (/:(consents|access-history)$/.test(name))
        expect(ttl, name).to.equal(-1); // they never expired
      else expect(ttl, name).to.be.within(TTL_MS - 60_000, TTL_MS);
    }
    // The SSO account, in clear before, is now encrypted.
    const account = await space.client.get(modulesOf(space).keys.key(CITIZENS[0]!, 'sso-account'));
    expect(account)
      .to.match(/^v1\.t1\./)
      .and.not.contain('Mario')
      .and.not.contain('@example.it');
    const before = await dump(space);
    expect(await migrateCitizenKeys(space, movers)).to.deep.equal({});
    expect(await dump(space)).to.equal(before);
  });

  it('merges with what the new layout already holds (its values win) and leaves other keys alone', async () => {
    const space = scenario();
    const [mario] = CITIZENS;
    await fileLegacy(space, [mario!]);
    const { services, consents, history, accounts, movers } = modulesOf(space);
    // Written by an upgraded instance before the move: a newer use of a service the legacy key also has,
    // another favourite, a newer consent for the same service, a newer release, a newer account.
    await services.recordUse(mario!, 'prato-tari', T0 + 10);
    await services.toggleFavourite(mario!, 'newer');
    await consents.remember(mario!, { serviceId: 'prato-tari', bodyId: 'c_g999', claims: ['email'] });
    const newest = accessOf(0, 5);
    await history.record(mario!, newest);
    const newer = accountOf(mario!, 9);
    await accounts.save({ ...newer, level: 2, provider: 'spid', issuer: 'https://idp', loginAt: T0 });
    const { client, prefix } = space;
    const foreign = [
      `${prefix}citizen:{${mario}}:constructor`, // no mover of that name, even an inherited one
      `${prefix}citizen:{${mario}}:unknown`,
      `${prefix}citizen:${mario}:cases`, // the procedures' own, moved by their migration
      `${prefix}citizen:{}:favourites`,
    ];
    for (const key of foreign) await client.set(key, 'kept');

    expect(await migrateCitizenKeys(space, movers)).to.deep.equal({
      favourites: 1,
      recent: 1,
      profile: 1,
      sessions: 1,
      'sessions:meta': 1,
      consents: 1,
      'access-history': 1,
      'sso-account': 1,
    });
    expect((await consents.get(mario!, 'prato-tari'))?.claims).to.deep.equal(['email']);
    // The legacy entries (older) after the newer one, up to the length kept.
    expect(await history.list(mario!)).to.deep.equal([newest, accessOf(0, 1), accessOf(0, 0)]);
    expect(await accounts.find(mario!)).to.deep.equal(newer);
    expect(await services.favourites(mario!)).to.deep.equal(['newer', 'prato-tari', 'svc-0']);
    expect(await services.recent(mario!)).to.deep.equal(['prato-tari', 'svc-0']);
    expect(await client.zScore(modulesOf(space).keys.key(mario!, 'recent'), 'prato-tari')).to.equal(T0 + 10);
    for (const key of foreign) expect(await client.get(key), key).to.equal('kept');
  });

  it("an SSO account is bound to its citizen: another's copied over, or one no key decrypts, is no account", async () => {
    const space = scenario();
    const { accounts, keys } = modulesOf(space);
    const [mario, lucia] = CITIZENS;
    await accounts.save({
      ...accountOf(mario!, 0),
      level: 2,
      provider: 'spid',
      issuer: 'https://idp',
      loginAt: T0,
    });
    const sealed = await space.client.get(keys.key(mario!, 'sso-account'));
    await space.client.set(keys.key(lucia!, 'sso-account'), sealed!);
    expect(await accounts.find(lucia!)).to.equal(undefined);
    await space.client.set(keys.key(mario!, 'sso-account'), 'v1.gone.AAAA.BBBB.CCCC');
    expect(await accounts.find(mario!)).to.equal(undefined);
    await space.client.set(keys.key(mario!, 'sso-account'), JSON.stringify(accountOf(mario!, 0))); // in clear
    expect(await accounts.find(mario!)).to.equal(undefined);
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
    expect(points).to.be.greaterThan(20); // it was killed at every step of a real run
  });

  it('three instances starting together move everything once', async () => {
    const space = scenario();
    await fileLegacy(space);
    const runs = await Promise.all([1, 2, 3].map(() => migrateCitizenKeys(space, modulesOf(space).movers)));
    expect(runs.some((counts) => Object.keys(counts).length > 0)).to.equal(true);
    await expectAllThere(space);
    expect((await keysUnder(space)).join('\n')).to.not.match(new RegExp(CITIZENS.join('|')));
  });

  it('a citizen logged in before the upgrade stays logged in, with their session listed and endable', async () => {
    const gw = await createTestGateway();
    try {
      const agent = request.agent(gw.app);
      await agent.get('/__test/login').expect(200);
      const cf = 'RSSMRA80A01H501U';
      const { citizenKeys } = gw.deps;
      // The earlier version's layout: the same index and record, named after the fiscal code.
      for (const what of ['sessions', 'sessions:meta', 'profile']) {
        await gw.redis.client.rename(citizenKeys.key(cf, what), citizenKeys.legacyKey(cf, what));
      }
      // An instance of this version starts: the same migration as at start, before it serves.
      await migrateCitizenKeys(gw.redis, {
        ...gw.deps.sessionIndex.legacyMovers,
        ...gw.deps.citizens.legacyMovers,
      });
      const me = await agent.get('/me').expect(200);
      expect(me.text).to.contain('Mario');
      const [session] = await gw.deps.sessionIndex.list(cf);
      expect(session?.userAgent).to.be.a('string');
      expect(await gw.deps.citizens.linkedIdentities(cf)).to.have.length(1);
      await gw.deps.sessionIndex.end(cf, [session!.sessionId]);
      await agent.get('/me').expect(303);
      expect((await keysUnder(gw.redis)).join('\n')).to.not.contain(cf);
    } finally {
      await gw.close();
    }
  });
});

describe('Citizen keys: what an instance of the earlier version writes during an upgrade', () => {
  it("moves at the citizen's next login, before their new session is indexed", async () => {
    const gw = await createTestGateway();
    try {
      const cf = 'RSSMRA80A01H501U';
      const { client } = gw.redis;
      const { citizenKeys } = gw.deps;
      // Written by an instance of the earlier version after this one started (and migrated).
      await client.sAdd(citizenKeys.legacyKey(cf, 'favourites'), 'prato-tari');
      await client.zAdd(citizenKeys.legacyKey(cf, 'sessions'), { score: T0, value: 'older-session' });
      await client.hSet(citizenKeys.legacyKey(cf, 'consents'), 'svc', JSON.stringify(consentOf(0)));
      await request(gw.app).get('/__test/login').expect(200);
      expect(await gw.deps.catalog.citizenServices.favourites(cf)).to.deep.equal(['prato-tari']);
      expect(await gw.deps.sso.consents.list(cf)).to.deep.equal([consentOf(0)]);
      const indexed = await client.zRange(citizenKeys.key(cf, 'sessions'), 0, -1);
      expect(indexed).to.include('older-session').and.have.length(2);
      expect((await keysUnder(gw.redis)).join('\n')).to.not.contain(cf);
    } finally {
      await gw.close();
    }
  });
});

describe('Citizen keys: a citizen using every module leaves their fiscal code in no key name', function () {
  this.timeout(60_000);
  const CF = 'RSSMRA80A01H501U';

  /** A stored value as the browser posts it. */
  const posted = (field: FieldDefinition, value: FormValues[string] | undefined): string =>
    value === undefined ? '' : field.type === 'checkbox' ? (value === true ? 'yes' : '') : String(value);

  it('logs in, favourites and opens a service, enters an SSO service, files a procedure: no key names them', async () => {
    const op = await startSsoGateway();
    try {
      const { gateway } = op;
      const secret = await registerSsoService(gateway, {
        body: 'comune_keys',
        service: 'keys-sso',
        rpOrigin: 'http://127.0.0.1:9',
        auth: { method: 'client_secret_basic' },
        claims: ['fiscal_number', 'given_name', 'family_name', 'email'],
      });
      const client = await discoverClient(op.url, 'keys-sso', { secret: secret! });
      const browser = new TestBrowser(op.url);
      await browser.login(CF, 2);

      // Catalog: a favourite and a recent use.
      const sheet = await (await browser.request('/services/prato-tari')).text();
      const favourite = await browser.post('/services/prato-tari/favourite', { _csrf: csrfTokenFrom(sheet) });
      expect(favourite.status).to.equal(303);
      expect((await browser.request('/go/prato-tari')).status).to.equal(303);

      // SSO: consent, the id_token and userinfo (two releases in the access history), the account.
      const entered = await enterService(browser, client, 'http://127.0.0.1:9/keys-sso/callback');
      expect(entered.consentAsked).to.equal(true);
      const info = await oidc.fetchUserInfo(client, entered.tokens.access_token, entered.claims.sub);
      expect(info.fiscal_number).to.equal(`TINIT-${CF}`);

      // Procedures: every page of the newborn bundle, then confirmed (a case filed, its deliveries queued).
      const procedure = gateway.deps.procedures.procedures.get('newborn')!;
      const values = newbornForm();
      for (const page of procedure.definition.form.pages) {
        const html = await (await browser.request(`/procedures/newborn/pages/${page.id}`)).text();
        const form: Record<string, string> = { _csrf: csrfTokenFrom(html) };
        for (const field of page.fields) form[field.id] = posted(field, values[field.id]);
        expect((await browser.post(`/procedures/newborn/pages/${page.id}`, form)).status, page.id).to.equal(
          303,
        );
      }
      const preview = cheerio.load(await (await browser.request('/procedures/newborn/preview')).text());
      const confirmed = await browser.post('/procedures/newborn/preview', {
        _csrf: String(preview('input[name="_csrf"]').val()),
        submission: String(preview('input[name="submission"]').val()),
        confirmed: 'yes',
      });
      expect(confirmed.headers.get('location')).to.match(/^\/cases\/[0-9A-Z]{16}\/receipt$/);

      const names = (await keysUnder(gateway.redis)).join('\n');
      // Every module wrote under the citizen's reference (so this test cannot pass by writing nothing)…
      const { citizenKeys } = gateway.deps;
      for (const what of ['profile', 'sessions', 'sessions:meta', 'favourites', 'recent', 'consents'])
        expect(names, what).to.include(citizenKeys.key(CF, what));
      for (const what of ['access-history', 'sso-account'])
        expect(names, what).to.include(citizenKeys.key(CF, what));
      expect(names).to.include(':proc:case:{').and.include(':proc:citizen:').and.include(':oidc:');
      // …and no key name holds the fiscal code, in any form.
      for (const form of [CF, CF.toLowerCase(), `TINIT-${CF}`]) expect(names).to.not.include(form);
      // The personal area still finds it all.
      const me = await (await browser.request('/me')).text();
      expect(me).to.include('Servizio keys-sso').and.include('/cases/');
    } finally {
      await op.close();
    }
  });
});
