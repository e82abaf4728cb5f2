import { expect } from 'chai';
import { createCatalogRepository, type CatalogRepository } from '../../src/catalog/catalog.repository.ts';
import { createCatalogWriter } from '../../src/catalog/catalog.writer.ts';
import { createSearchIndex } from '../../src/catalog/search-index.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { connectRedis, createRedisConnection, type RedisConnection } from '../../src/platform/redis.ts';
import { deleteKeys, testConfig } from '../helpers/gateway.ts';
import { testBody, testService } from './catalog-fixtures.ts';

const SYSTEM = { kind: 'system', id: 'test' } as const;
const labels = { topic: () => [], lifeEvent: () => [] };

describe("catalog reads: a page's several reads at one refresh of the index", () => {
  let redis: RedisConnection;
  let repository: CatalogRepository;
  let prefix: string;
  /** How many times the index asked Redis for the catalog version. */
  let versionReads = 0;

  before(async () => {
    const config = testConfig();
    prefix = config.redis.prefix;
    redis = createRedisConnection(config.redis, createLogger('silent'));
    await connectRedis(redis);
    repository = createCatalogRepository(redis);
    const writer = createCatalogWriter(repository, { demo: false });
    await writer.putBody(SYSTEM, testBody('ente_a', 'ente-a.it'), { status: 'approved', editors: [] });
    await writer.putService(
      SYSTEM,
      'ente_a',
      'servizio-uno',
      testService('ente-a.it', 'Anagrafe'),
      'published',
    );
  });
  after(async () => {
    await deleteKeys(redis, prefix);
    await redis.close();
  });

  function countedIndex() {
    const counted: CatalogRepository = {
      ...repository,
      version: () => {
        versionReads++;
        return repository.version();
      },
    };
    return createSearchIndex(counted, labels);
  }

  it('reads the catalog version once for facets, services, bodies and a search', async () => {
    const index = countedIndex();
    await index.refresh();
    versionReads = 0;
    const catalog = await index.current();
    expect(catalog.facets().topics.has('civil-registry')).to.equal(true);
    expect(catalog.publishedAmong(['servizio-uno', 'nessuno']).map((s) => s.id)).to.deep.equal([
      'servizio-uno',
    ]);
    expect(catalog.approvedBodies().map((b) => b.ipaCode)).to.deep.equal(['ente_a']);
    expect(catalog.search({ q: 'anagrafe' }).hits.map((h) => h.service.id)).to.deep.equal(['servizio-uno']);
    expect(versionReads).to.equal(1);
  });

  it('sees at the next request a change any writer made before it', async () => {
    const index = countedIndex();
    const before = await index.current();
    const versionBefore = before.facets().version;
    expect(before.publishedAmong(['servizio-due'])).to.deep.equal([]);
    const writer = createCatalogWriter(repository, { demo: false });
    await writer.putService(SYSTEM, 'ente_a', 'servizio-due', testService('ente-a.it', 'Due'), 'published');
    const after = await index.current();
    expect(after.publishedAmong(['servizio-due']).map((s) => s.id)).to.deep.equal(['servizio-due']);
    expect(after.facets().version).to.be.greaterThan(versionBefore);
  });
});
