import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import * as cheerio from 'cheerio';
import * as oidc from 'openid-client';
import { createCitizenKeys } from '../../src/citizen/redis-keys.ts';
import { createCitizenRef } from '../../src/citizen/reference.ts';
import { createLogger } from '../../src/platform/logger.ts';
import {
  connectRedis,
  createRedisConnection,
  type RedisConnection,
  type SingleClient,
} from '../../src/platform/redis.ts';
import { createDataCipher } from '../../src/citizen/data-cipher.ts';
import { DEMO_URP_REQUESTER } from '../../src/demo/urp-seed.ts';
import { createAccounts } from '../../src/sso/accounts.repository.ts';
import type { FieldDefinition } from '../../src/procedures/definition.schema.ts';
import type { FormValues } from '../../src/procedures/form.ts';
import { csrfTokenFrom, deleteKeys, testConfig } from '../helpers/gateway.ts';
import { newbornForm } from '../helpers/procedures.ts';
import {
  discoverClient,
  enterService,
  registerSsoService,
  startSsoGateway,
  TestBrowser,
} from '../helpers/sso.ts';

/** Every module files a citizen under `citizen:{<ref>}:…`, a keyed hash of the fiscal code. */

const CITIZENS = ['RSSMRA80A01H501U', 'BNCLCU85M10G999Z'];
const T0 = Date.UTC(2026, 0, 1);

const accountOf = (fiscalCode: string, n: number) => ({
  fiscalCode,
  name: `Mario ${n}`,
  familyName: 'Rossi',
  dateOfBirth: '1980-01-01',
  email: `mario${n}@example.it`,
});

async function keysUnder(redis: RedisConnection): Promise<string[]> {
  const client = redis.client as SingleClient;
  const names: string[] = [];
  const match = `${redis.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  for await (const keys of client.scanIterator({ MATCH: match, COUNT: 500 })) names.push(...keys);
  return names.sort();
}

describe('Citizen keys: the SSO account', () => {
  const config = testConfig();
  let space: RedisConnection;

  before(async () => {
    space = createRedisConnection(config.redis, createLogger('silent'));
    await connectRedis(space);
  });

  after(async () => {
    await deleteKeys(space, config.redis.prefix);
    await space.close();
  });

  it("an SSO account is bound to its citizen: another's copied over, or one no key decrypts, is no account", async () => {
    const keys = createCitizenKeys(space, createCitizenRef(randomBytes(32))); // test-only key
    const cipher = createDataCipher([{ id: 't1', key: randomBytes(32) }]); // test-only key
    const accounts = createAccounts(space, keys, cipher, { ttlSeconds: 3600 });
    const [mario, lucia] = CITIZENS;
    await accounts.save({
      ...accountOf(mario!, 0),
      level: 2,
      provider: 'spid',
      issuer: 'https://idp',
      loginAt: T0,
    });
    const sealed = await space.client.get(keys.key(mario!, 'sso-account'));
    // Encrypted: none of the personal data shows in Redis.
    expect(sealed)
      .to.match(/^v1\.t1\./)
      .and.not.contain(mario)
      .and.not.contain('Mario')
      .and.not.contain('@example.it');
    await space.client.set(keys.key(lucia!, 'sso-account'), sealed!);
    expect(await accounts.find(lucia!)).to.equal(undefined);
    await space.client.set(keys.key(mario!, 'sso-account'), 'v1.gone.AAAA.BBBB.CCCC');
    expect(await accounts.find(mario!)).to.equal(undefined);
    await space.client.set(keys.key(mario!, 'sso-account'), JSON.stringify(accountOf(mario!, 0))); // in clear
    expect(await accounts.find(mario!)).to.equal(undefined);
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
      const citizenKeys = gateway.deps.citizen.keys;
      for (const what of ['profile', 'sessions', 'sessions:meta', 'favourites', 'recent', 'consents'])
        expect(names, what).to.include(citizenKeys.key(CF, what));
      for (const what of ['access-history', 'sso-account'])
        expect(names, what).to.include(citizenKeys.key(CF, what));
      expect(names).to.include(':proc:case:{').and.include(':proc:citizen:').and.include(':oidc:');
      // …and no key name holds the fiscal code, in any form.
      for (const form of [CF, CF.toLowerCase(), `TINIT-${CF}`]) expect(names).to.not.include(form);
      // The citizen's keys share one hash tag, their reference: one Cluster slot.
      const own = citizenKeys.key(CF, '');
      expect(own).to.match(/:citizen:\{[0-9a-f]{64}\}:$/);
      // (Demo mode files a few URP requests of its own requester: another citizen's keys.)
      const demoRequester = citizenKeys.key(DEMO_URP_REQUESTER, '');
      for (const name of names.split('\n').filter((key) => key.includes(':citizen:{')))
        if (!name.startsWith(demoRequester)) expect(name.startsWith(own), name).to.equal(true);
      // The account the provider keeps between login and token requests is encrypted.
      const account = await gateway.redis.client.get(citizenKeys.key(CF, 'sso-account'));
      expect(account).to.match(/^v1\./).and.not.contain(CF).and.not.contain('Mario');
      // A new installation has only this layout: nothing marks a move of another one.
      expect(names).to.not.include(':migration:');
      // The personal area still finds it all.
      const me = await (await browser.request('/me')).text();
      expect(me).to.include('Servizio keys-sso').and.include('/cases/');
    } finally {
      await op.close();
    }
  });
});
