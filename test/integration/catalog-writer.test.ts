import { expect } from 'chai';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import type { Actor } from '../../src/catalog/model.ts';
import { readSeedCatalog, seedCatalog } from '../../src/demo/catalog-seed.ts';
import { testBody, testService } from './catalog-fixtures.ts';

const editor: Actor = { kind: 'citizen', id: 'RSSMRA80A01H501U' };

describe('catalog writer (the one write path, with its audit stream)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  it('seeds at least 15 bodies and 80 published services from config/catalog, idempotently', async () => {
    const { repository, writer } = gw.deps.catalog;
    const bodies = await repository.listBodies();
    const services = await repository.listServices();
    expect(bodies.length).to.be.at.least(15);
    expect(services.filter((s) => s.status === 'published').length).to.be.at.least(80);
    expect(bodies.map((b) => b.ipaCode)).to.include.members([
      'c_g999',
      'c_b626',
      'c_l775',
      'p_po',
      'inps',
      'age',
    ]);
    const version = await repository.version();
    const again = await seedCatalog(writer, readSeedCatalog('config/catalog'));
    expect(again.changed).to.equal(0);
    expect(await repository.version()).to.equal(version);
  });

  it('records who changed which fields, from what to what, in a Redis Stream under registry:', async () => {
    const { writer, repository } = gw.deps.catalog;
    await writer.putBody(editor, testBody('demo_audit', 'audit.example.it'), {
      status: 'approved',
      editors: [],
    });
    await writer.putService(editor, 'demo_audit', 'audit-servizio', testService('audit.example.it'));
    const changed = { ...testService('audit.example.it', 'Servizio cambiato'), requiredLevel: 'L3' };
    const update = await writer.putService(editor, 'demo_audit', 'audit-servizio', changed);
    expect(update.changed).to.equal(true);
    const same = await writer.putService(editor, 'demo_audit', 'audit-servizio', changed);
    expect(same.changed).to.equal(false);
    await writer.setServiceStatus(editor, 'demo_audit', 'audit-servizio', 'published');

    const trail = await repository.auditOf('service', 'audit-servizio');
    expect(trail.map((r) => r.action)).to.deep.equal([
      'service.published',
      'service.update',
      'service.create',
    ]);
    expect(trail[1]?.actor).to.equal('citizen:RSSMRA80A01H501U');
    expect(trail[1]?.changes).to.deep.equal({
      'title.it': ['Servizio di prova', 'Servizio cambiato'],
      requiredLevel: ['L2', 'L3'],
    });
    expect(trail[0]?.changes).to.deep.equal({ status: ['draft', 'published'] });
    expect(await gw.redis.client.type(`${gw.config.redis.prefix}registry:{b:demo_audit}:audit`)).to.equal(
      'stream',
    );
  });

  it("refuses another body's service id, links outside the body's domains and bad schemes", async () => {
    const { writer } = gw.deps.catalog;
    await writer.putBody(editor, testBody('demo_one', 'one.example.it'), { status: 'approved', editors: [] });
    await writer.putBody(editor, testBody('demo_two', 'two.example.it'), { status: 'approved', editors: [] });
    await writer.putService(editor, 'demo_one', 'one-servizio', testService('one.example.it'));
    const attempts: Array<[string, unknown, number]> = [
      ['one-servizio', testService('two.example.it'), 403],
      ['two-fuori', testService('one.example.it'), 422],
      ['two-js', { ...testService('two.example.it'), deepLink: { url: 'javascript:alert(1)' } }, 422],
      ['two-data', { ...testService('two.example.it'), deepLink: { url: 'data:text/html,x' } }, 422],
      ['two-tpl', { ...testService('two.example.it'), deepLink: { template: 'https://{email}/x' } }, 422],
      [
        'two-ph',
        { ...testService('two.example.it'), deepLink: { template: 'https://two.example.it/{password}' } },
        422,
      ],
      ['two-type', { ...testService('two.example.it'), topics: 'civil-registry' }, 422],
      ['two-extra', { ...testService('two.example.it'), status: 'published' }, 422],
    ];
    for (const [id, input, status] of attempts) {
      const error = await writer.putService(editor, 'demo_two', id, input).then(
        () => undefined,
        (e: unknown) => e as { status?: number },
      );
      expect(error?.status, id).to.equal(status);
    }
    const one = await gw.deps.catalog.repository.getService('one-servizio');
    expect(one?.bodyId).to.equal('demo_one');
    expect(one?.deepLink).to.deep.equal({ url: 'https://one.example.it/servizio' });
  });
});
