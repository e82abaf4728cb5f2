import { expect } from 'chai';
import { counterField, durationBucket, normaliseTerm } from '../../src/stats/events.ts';
import { datasetCsv, datasetRows } from '../../src/stats/stats.open-data.ts';
import { alignToKeptDays, parseMonth, parseRange } from '../../src/stats/stats.range.ts';
import { rangeKeys } from '../../src/stats/stats.reader.ts';
import { buildReport, medianBucket } from '../../src/stats/stats.report.ts';

const NOW = new Date('2026-12-07T10:00:00Z');

describe('usage statistics (units)', () => {
  it('builds counter fields from codes only, with no separator or space smuggled in', () => {
    expect(counterField({ kind: 'login', provider: 'spid', level: 2, outcome: 'success' })).to.equal(
      'login|spid|2|success',
    );
    expect(counterField({ kind: 'sheet', service: 'a|b c', body: 'x' })).to.equal('sheet|x|a_b_c');
    expect(
      counterField({ kind: 'procedure-end', procedure: 'p', outcome: 'completed', seconds: 90_000 }),
    ).to.equal('procedure-end|p|completed|3');
  });

  it('normalises search terms and drops what could be personal data', () => {
    expect(normaliseTerm('  Carta d’Identità!! ')).to.equal('carta d identita');
    expect(normaliseTerm('RSSMRA80A01H501U')).to.equal(undefined);
    expect(normaliseTerm('rssmra 80a01 h501u')).to.equal(undefined);
    expect(normaliseTerm('mario@example.it')).to.equal(undefined);
    expect(normaliseTerm('pratica 12345')).to.equal(undefined);
    expect(normaliseTerm('x')).to.equal(undefined);
    expect(normaliseTerm('a'.repeat(200))?.length).to.equal(60);
  });

  it('puts durations in buckets and finds the median bucket, none below the threshold', () => {
    expect([0, 3600, 3601, 86_400, 100 * 86_400].map(durationBucket)).to.deep.equal([0, 0, 1, 2, 7]);
    expect(medianBucket([0, 0, 5, 5, 0, 0, 0, 0], 10)).to.equal(2);
    expect(medianBucket([0, 0, 4, 6, 0, 0, 0, 0], 10)).to.equal(3);
    expect(medianBucket([9, 0, 0, 0, 0, 0, 0, 0], 10)).to.equal(undefined);
  });

  it('reads whole months from the monthly rollup and the rest day by day', () => {
    const keys = rangeKeys('p:', { from: '2026-10-30', to: '2026-12-02' });
    expect(keys).to.deep.equal([
      'p:stats:{d:2026-10-30}:c',
      'p:stats:{d:2026-10-31}:c',
      'p:stats:{m:2026-11}:c',
      'p:stats:{d:2026-12-01}:c',
      'p:stats:{d:2026-12-02}:c',
    ]);
    // A year: twelve hashes and a few days, not 365.
    expect(rangeKeys('p:', { from: '2025-12-08', to: '2026-12-07' }).length).to.be.lessThan(50);
  });

  it('validates ranges and months', () => {
    expect(parseRange({}, NOW)).to.deep.equal({ from: '2026-11-08', to: '2026-12-07' });
    for (const bad of [
      { from: '2026-02-30' },
      { from: '2026-12-07', to: '2026-12-06' },
      { to: '2026-12-08' },
      { from: '2025-01-01', to: '2026-12-07' },
      { other: '1' },
      { from: ['2026-01-01'] },
    ])
      expect(() => parseRange(bad, NOW), JSON.stringify(bad))
        .to.throw()
        .with.property('status', 400);
    expect(parseMonth('2026-11', 25, NOW)).to.deep.equal({
      month: '2026-11',
      range: { from: '2026-11-01', to: '2026-11-30' },
    });
    expect(parseMonth('2026-13', 25, NOW)).to.equal('malformed');
    // Days no longer kept are counted in whole months.
    expect(alignToKeptDays({ from: '2025-12-08', to: '2026-12-07' }, 92, NOW)).to.deep.equal({
      from: '2025-12-01',
      to: '2026-12-07',
    });
    expect(alignToKeptDays({ from: '2026-03-10', to: '2026-04-15' }, 92, NOW)).to.deep.equal({
      from: '2026-03-01',
      to: '2026-04-30',
    });
    expect(alignToKeptDays({ from: '2026-11-10', to: '2026-12-01' }, 92, NOW)).to.deep.equal({
      from: '2026-11-10',
      to: '2026-12-01',
    });
    expect(parseMonth('2027-01', 25, NOW)).to.equal('gone');
    expect(parseMonth('2020-01', 25, NOW)).to.equal('gone');
  });

  it('publishes every count below the threshold as "< 10", in every dataset', () => {
    const counts = new Map([
      ['sheet|b1|s1', 25],
      ['deeplink|b1|s1', 3],
      ['login|spid|2|success', 9],
      ['login|spid|2|failure', 10],
      ['procedure|newborn|started', 1],
      ['procedure-end|newborn|completed|2', 12],
    ]);
    const report = buildReport(counts);
    expect(datasetRows('servizi', report, 10)).to.deep.equal([['b1', 's1', 25, '< 10', '< 10', 28]]);
    expect(datasetRows('accessi', report, 10)).to.deep.equal([['spid', '2', '< 10', 10]]);
    expect(datasetRows('procedimenti', report, 10)).to.deep.equal([
      ['newborn', '< 10', '< 10', 12, '< 10', 2],
    ]);
    expect(datasetCsv('accessi', datasetRows('accessi', report, 10))).to.equal(
      '"provider","level","successful","failed"\r\n"spid","2","< 10","10"\r\n',
    );
  });
});
