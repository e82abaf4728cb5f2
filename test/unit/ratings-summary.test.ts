import { expect } from 'chai';
import { addSummaries, emptySummary, summaryOf } from '../../src/participation/ratings/ratings.repository.ts';

describe('rating summaries from counters', () => {
  const counters = {
    n: '4',
    sum: '14',
    s2: '1',
    s4: '2',
    s5: '1',
    'r:good:clear': '2',
    'r:bad:technicalProblems': '1',
    'r:good:other': '0',
    'm:2026-11:n': '3',
    'm:2026-11:sum': '11',
    'm:2026-12:n': '1',
    'm:2026-12:sum': '3',
    'm:2026-10:n': '0',
    'm:2026-10:sum': '0',
  };

  it('reads the count, the average to one decimal, the distribution, the reasons chosen and the months', () => {
    expect(summaryOf(counters)).to.deep.equal({
      count: 4,
      sum: 14,
      average: 3.5,
      distribution: [0, 1, 0, 2, 1],
      reasons: { 'good:clear': 2, 'bad:technicalProblems': 1 },
      months: [
        { month: '2026-11', count: 3, sum: 11, average: 3.7 },
        { month: '2026-12', count: 1, sum: 3, average: 3 },
      ],
    });
  });

  it('gives an empty summary for no counters (an average of 0, not NaN)', () => {
    expect(emptySummary()).to.deep.equal({
      count: 0,
      sum: 0,
      average: 0,
      distribution: [0, 0, 0, 0, 0],
      reasons: {},
      months: [],
    });
  });

  it('adds summaries (the network from its bodies), months merged', () => {
    const other = summaryOf({
      n: '1',
      sum: '1',
      s1: '1',
      'r:bad:unclear': '1',
      'm:2026-12:n': '1',
      'm:2026-12:sum': '1',
    });
    const total = addSummaries(addSummaries(emptySummary(), summaryOf(counters)), other);
    expect(total.count).to.equal(5);
    expect(total.sum).to.equal(15);
    expect(total.average).to.equal(3);
    expect(total.distribution).to.deep.equal([1, 1, 0, 2, 1]);
    expect(total.reasons).to.deep.equal({ 'good:clear': 2, 'bad:technicalProblems': 1, 'bad:unclear': 1 });
    expect(total.months).to.deep.equal([
      { month: '2026-11', count: 3, sum: 11, average: 3.7 },
      { month: '2026-12', count: 2, sum: 4, average: 2 },
    ]);
  });
});
