import { expect } from 'chai';
import { createCatalogRepository, type CatalogRepository } from '../../src/catalog/catalog.repository.ts';
import { createCatalogWriter, type CatalogWriter } from '../../src/catalog/catalog.writer.ts';
import { createSearchIndex, type SearchIndex } from '../../src/catalog/search-index.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { connectRedis, createRedisConnection, type RedisConnection } from '../../src/platform/redis.ts';
import { testConfig } from '../helpers/gateway.ts';
import { redisCommand, startRedisOn, TEST_PORT_OFFSET } from '../helpers/redis-topology.ts';
import { testBody, testService } from './catalog-fixtures.ts';

const PORT = 7122 + TEST_PORT_OFFSET;
const PREFIX = 'varco-test:publish:';
const SYSTEM = { kind: 'system', id: 'test' } as const;
const labels = { topic: () => [], lifeEvent: () => [] };

/** The gateway's Redis user: reads everything; writes everything, or all but the catalog version. */
const acl = (versionWritable: boolean) => [
  ...['ACL', 'SETUSER', 'gateway', 'on', '>secret', 'resetkeys', '+@all', '%R~*'],
  ...(versionWritable
    ? ['%RW~*']
    : [`%RW~${PREFIX}catalog:{b:*`, `%RW~${PREFIX}registry:*`, `%RW~${PREFIX}ready`].concat(
        ['bodies', 'service-owners', 'unsettled', 'changes'].map(
          (k) => `%RW~${PREFIX}catalog:{catalog}:${k}`,
        ),
      )),
];

/**
 * A catalog write touches two slots (the body's, then the network's version and change log). When it
 * stops between them, as a real Redis refusing the second write makes it (here an ACL that denies the
 * version key, as a full or lost master would), the change must not stay unseen: the sweep, or the
 * same write sent again, publishes it, and every reader's index then shows it.
 */
describe('catalog writes across two slots: a write cut short is published later', function () {
  this.timeout(30_000);
  let server: Awaited<ReturnType<typeof startRedisOn>>;
  let redis: RedisConnection;
  let repository: CatalogRepository;
  let writer: CatalogWriter;
  let index: SearchIndex;

  const titles = async () => (await index.search({ body: 'ente_p' })).hits.map((h) => h.service.title.it);
  const putTitle = (title: string) =>
    writer.putService(SYSTEM, 'ente_p', 'servizio-p', testService('ente-p.it', title), 'published');

  before(async () => {
    server = await startRedisOn(PORT);
    await redisCommand(PORT, acl(true));
    const config = testConfig({ redis: { url: `redis://gateway:secret@127.0.0.1:${PORT}`, prefix: PREFIX } });
    redis = createRedisConnection(config.redis, createLogger('silent'));
    await connectRedis(redis);
    repository = createCatalogRepository(redis);
    writer = createCatalogWriter(repository, { demo: false });
    index = createSearchIndex(repository, labels);
    await writer.putBody(SYSTEM, testBody('ente_p', 'ente-p.it'), { status: 'approved', editors: [] });
    await putTitle('Prima');
  });
  after(async () => {
    await redis?.close();
    await server?.dispose();
  });
  afterEach(() => redisCommand(PORT, acl(true)));

  it('publishes through the sweep a change whose version bump was refused', async () => {
    expect(await titles()).to.deep.equal(['Prima']);
    const version = await repository.version();

    await redisCommand(PORT, acl(false));
    const failure = await putTitle('Seconda').then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).to.match(/NOPERM/);
    // Written in the body's slot, not published: no reader sees it yet.
    expect((await repository.getService('servizio-p'))?.title.it).to.equal('Seconda');
    expect(await repository.version()).to.equal(version);
    expect(await titles()).to.deep.equal(['Prima']);

    await redisCommand(PORT, acl(true));
    // A write that may still be under way is left alone.
    expect(await repository.publishPending()).to.equal(0);
    expect(await repository.publishPending(0)).to.equal(1);
    expect(await repository.version()).to.equal(version + 1);
    expect(await titles()).to.deep.equal(['Seconda']);
    expect(await redis.client.hLen(repository.keys.unpublished('ente_p'))).to.equal(0);
    expect(await redis.client.zScore(repository.keys.unsettled, 'ente_p')).to.equal(null);
    // Nothing left: a second sweep publishes nothing.
    expect(await repository.publishPending(0)).to.equal(0);
    expect(await repository.version()).to.equal(version + 1);
  });

  it('publishes it when the same write is sent again (as a client does after a 503)', async () => {
    await redisCommand(PORT, acl(false));
    await putTitle('Terza').then(
      () => expect.fail('the write should have failed'),
      () => undefined,
    );
    expect(await titles()).to.deep.equal(['Seconda']);
    await redisCommand(PORT, acl(true));
    const again = await putTitle('Terza');
    expect(again.changed).to.equal(false);
    expect(await titles()).to.deep.equal(['Terza']);
    const trail = await repository.auditOf('service', 'servizio-p');
    expect(trail.map((r) => r.changes['title.it'])).to.deep.equal([
      ['Seconda', 'Terza'],
      ['Prima', 'Seconda'],
      undefined,
    ]);
  });

  it('refuses a service id another body holds', async () => {
    await writer.putBody(SYSTEM, testBody('ente_q', 'ente-q.it'), { status: 'approved', editors: [] });
    const taken = await writer
      .putService(SYSTEM, 'ente_q', 'servizio-p', testService('ente-q.it'))
      .catch((error: unknown) => error as { status?: number });
    expect(taken).to.include({ status: 403 });
    expect((await repository.getService('servizio-p'))?.bodyId).to.equal('ente_p');
  });
});
