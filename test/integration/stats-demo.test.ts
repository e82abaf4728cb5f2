import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { readSeedCatalog } from '../../src/demo/catalog-seed.ts';
import type { SingleClient } from '../../src/platform/redis.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

const DAY_SECONDS = 86_400;

/**
 * Demo mode's year of use (src/demo/stats-seed.ts): the statistics pages have something to show from
 * the first start, written as the recorder writes (its keys, its expiries), once however many times the
 * gateway starts, and today left to the real use.
 */
describe("usage statistics: demo mode's generated year", function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway({ stats: { demoHistory: true } });
  });
  after(() => gw.close());

  it('fills /statistiche: the most used services, logins, the newborn bundle and the URP', async () => {
    const $ = cheerio.load((await request(gw.app).get('/statistiche').expect(200)).text);
    expect($('svg[role="img"]').length).to.be.at.least(4);
    const first = readSeedCatalog('config/catalog').services[0]!;
    expect($('table.varco-chart-table').first().text()).to.include(first.title.it);
    expect($('body').text()).to.not.include('Nessun valore ha raggiunto 10');
  });

  it('writes the recorder’s keys with its expiries, leaves today alone, and writes once', async () => {
    const client = gw.redis.client as SingleClient;
    const prefix = gw.config.redis.prefix;
    const today = new Date().toISOString().slice(0, 10);
    expect(await client.exists(`${prefix}stats:{d:${today}}:c`)).to.equal(0);
    const yesterday = new Date(Date.now() - DAY_SECONDS * 1000).toISOString().slice(0, 10);
    const ttl = await client.ttl(`${prefix}stats:{d:${yesterday}}:c`);
    expect(ttl).to.be.within(1, gw.config.stats.dailyRetentionDays * DAY_SECONDS);
    const month = await client.hGetAll(`${prefix}stats:{m:${yesterday.slice(0, 7)}}:c`);
    const before = Number(month['search|found'] ?? 0);
    expect(before).to.be.greaterThan(0);
    // Another instance starting on the same Redis adds nothing (checked before it closes: a test
    // gateway's close deletes its prefix's keys).
    const again = await createTestGateway({ stats: { demoHistory: true }, redis: { prefix } });
    try {
      const after = await client.hGetAll(`${prefix}stats:{m:${yesterday.slice(0, 7)}}:c`);
      expect(Number(after['search|found'])).to.equal(before);
    } finally {
      await again.close();
    }
  });
});
