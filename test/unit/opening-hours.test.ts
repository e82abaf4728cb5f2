import { expect } from 'chai';
import {
  describeOpeningHours,
  openingHoursSpecification,
  parseOpeningHours,
} from '../../src/catalog/opening-hours.ts';

describe('opening hours (schema.org openingHours strings)', () => {
  it('reads ranges, lists and single days', () => {
    expect(parseOpeningHours('Mo-Fr 08:30-13:00')).to.deep.equal({
      groups: [{ from: 'Mo', to: 'Fr' }],
      opens: '08:30',
      closes: '13:00',
    });
    expect(parseOpeningHours('Tu,Th 15:00-17:30')?.groups).to.deep.equal([
      { from: 'Tu', to: 'Tu' },
      { from: 'Th', to: 'Th' },
    ]);
    for (const bad of ['', 'Mo-Tu-We 08:00-09:00', 'Xx 08:00-09:00', 'Mo 8-9', 'Mo-Fr'])
      expect(parseOpeningHours(bad), bad).to.equal(undefined);
  });

  it('describes them with weekday names in the citizen language', () => {
    expect(describeOpeningHours('Mo-Fr 08:30-13:00', 'it')).to.equal('lunedì–venerdì, 08:30–13:00');
    expect(describeOpeningHours('Tu,Th 15:00-17:30', 'en')).to.equal('Tuesday, Thursday, 15:00–17:30');
    expect(describeOpeningHours('not hours', 'it')).to.equal('not hours');
  });

  it('gives schema.org OpeningHoursSpecification, wrapping ranges over the weekend', () => {
    expect(openingHoursSpecification('Fr-Mo 10:00-19:00')).to.deep.equal([
      {
        '@type': 'OpeningHoursSpecification',
        dayOfWeek: [
          'https://schema.org/Friday',
          'https://schema.org/Saturday',
          'https://schema.org/Sunday',
          'https://schema.org/Monday',
        ],
        opens: '10:00',
        closes: '19:00',
      },
    ]);
    expect(openingHoursSpecification('garbage')).to.deep.equal([]);
  });
});
