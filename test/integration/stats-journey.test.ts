import { expect } from 'chai';
import * as cheerio from 'cheerio';
import type { SingleClient } from '../../src/platform/redis.ts';
import type { Procedure } from '../../src/procedures/definitions.ts';
import { browse, fileAndDeliver, logIn } from '../helpers/journeys.ts';
import { startDeliveringGateway } from '../helpers/procedures.ts';

const today = () => new Date().toISOString().slice(0, 10);

describe("usage statistics: a citizen's whole journey", () => {
  let gw: Awaited<ReturnType<typeof startDeliveringGateway>>;
  before(async () => {
    gw = await startDeliveringGateway();
  });
  after(() => gw.stop());

  it('counts the procedure from its first page to its completion, and keeps nothing that names the citizen', async () => {
    const fiscalCode = 'VRDLGU85M41D612T';
    const agent = await logIn(gw.app, fiscalCode);
    await browse(gw.app, agent);
    const procedure = gw.deps.procedures.procedures.get('newborn') as Procedure;
    await fileAndDeliver(gw, agent, procedure);
    await gw.deps.stats.flush();

    const counts = await gw.deps.stats.reader.counts({ from: today(), to: today() });
    expect(counts.get('procedure|newborn|started')).to.equal(1);
    expect(counts.get('procedure|newborn|confirmed')).to.equal(1);
    for (const page of procedure.definition.form.pages)
      expect(counts.get(`procedure-page|newborn|${page.id}`), page.id).to.equal(1);
    const ends = [...counts].filter(([field]) => field.startsWith('procedure-end|newborn|'));
    expect(ends.reduce((sum, [, n]) => sum + n, 0)).to.equal(1);
    const steps = [...counts].filter(([field]) => field.startsWith('step|newborn|'));
    expect(steps.length).to.be.greaterThan(0);
    expect(counts.get('login|spid|2|success')).to.equal(1);
    const completedSteps = steps.filter(([field]) => field.endsWith('|completed'));
    const timed = [...counts].filter(([field]) => field.startsWith('step-time|newborn|'));
    expect(timed.reduce((sum, [, n]) => sum + n, 0)).to.equal(
      completedSteps.reduce((sum, [, n]) => sum + n, 0),
    );

    // The Comune's editors see its steps: each count below 10, so "< 10".
    await gw.deps.catalog.writer.setEditors({ kind: 'system', id: 'test' }, 'c_g999', [fiscalCode]);
    const page = cheerio.load((await agent.get('/editor/bodies/c_g999/statistiche').expect(200)).text);
    const stepCells = page('#steps')
      .closest('section')
      .find('tbody td')
      .map((_i, el) => page(el).text())
      .get();
    expect(stepCells.length).to.be.greaterThan(0);
    for (const cell of stepCells) expect(cell).to.match(/^(< 10|—|.*(ora|ore|giorni).*)$/);

    // Nothing in any stats key or value names the citizen, the child, the session or an address.
    const client = gw.redis.client as SingleClient;
    const keys: string[] = [];
    for await (const found of client.scanIterator({ MATCH: `${gw.config.redis.prefix}stats:*`, COUNT: 500 }))
      keys.push(...found);
    let text = keys.join('\n');
    for (const key of keys)
      if ((await client.type(key)) === 'hash') text += JSON.stringify(await client.hGetAll(key));
    const citizenRef = gw.deps.citizen.ref(fiscalCode);
    for (const secret of [
      fiscalCode,
      fiscalCode.toLowerCase(),
      'Giulia',
      'Rossi',
      '@',
      '127.0.0.1',
      citizenRef,
    ])
      expect(text, secret).not.to.include(secret);
  });
});
