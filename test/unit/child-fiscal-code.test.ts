import { expect } from 'chai';
import { childFiscalCode } from '../../src/demo/body-systems/child-fiscal-code.ts';
import { normaliseFiscalCode } from '../../src/identity/citizen.ts';

describe('demo registry office: the fiscal code issued at birth', () => {
  const code = (givenName: string, familyName: string, sex: 'F' | 'M', birthDate: string, place = 'H501') =>
    childFiscalCode({ givenName, familyName, sex, birthDate, municipalityCode: place });

  it('matches the well-known example and carries a valid check character', () => {
    expect(code('Mario', 'Rossi', 'M', '1980-01-01')).to.equal('RSSMRA80A01H501U');
    for (const c of [
      code('Giulia', 'Bianchi', 'F', '2026-11-20', 'G999'),
      code('Ève', "D'Amico", 'F', '2026-02-28'),
    ])
      expect(normaliseFiscalCode(c), c).to.equal(c);
  });

  it('applies the letter rules: 1st, 3rd and 4th consonant of a long given name, vowels and X when short', () => {
    expect(code('Gianfranco', 'Rossi', 'M', '2026-03-05').slice(0, 6)).to.equal('RSSGFR');
    expect(code('Ugo', 'Fo', 'M', '2026-03-05').slice(0, 6)).to.equal('FOXGUO');
    expect(code('Ève', "D'Amico", 'F', '2026-02-28').slice(0, 6)).to.equal('DMCVEE');
  });

  it('encodes the month letter and adds 40 to the day for girls', () => {
    expect(code('Anna', 'Neri', 'F', '2026-12-09').slice(6, 11)).to.equal('26T49');
    expect(code('Luca', 'Neri', 'M', '2026-06-09').slice(6, 11)).to.equal('26H09');
  });
});
