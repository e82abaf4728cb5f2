import { expect } from 'chai';
import { normaliseFiscalCode } from '../../src/identity/citizen.ts';

describe('normaliseFiscalCode', () => {
  it('accepts the SPID form, plain and lower-case codes', () => {
    expect(normaliseFiscalCode('TINIT-RSSMRA80A01H501U')).to.equal('RSSMRA80A01H501U');
    expect(normaliseFiscalCode('rssmra80a01h501u')).to.equal('RSSMRA80A01H501U');
    expect(normaliseFiscalCode('  RSSMRA80A01H501U ')).to.equal('RSSMRA80A01H501U');
  });

  it('accepts codes with omocodia substitutions when the check character matches', () => {
    // 1 → M in the last digit position (omocodia): the check character is computed over the substituted code.
    expect(normaliseFiscalCode('RSSMRA80A01H50MU')).to.equal(undefined);
    expect(normaliseFiscalCode('RSSMRA80A01H50MM')).to.equal('RSSMRA80A01H50MM');
  });

  it('rejects wrong check characters, lengths, shapes and other tax ids', () => {
    for (const bad of [
      'RSSMRA80A01H501X',
      'RSSMRA80A01H501',
      'RSSMRA80A01H501UU',
      '12345678901',
      'TINIT-12345678901',
      'VATIT-12345678901',
      'RSSMRA80Z01H501U',
      '',
      'RSSMRA80 A01H501U',
    ]) {
      expect(normaliseFiscalCode(bad), bad).to.equal(undefined);
    }
  });
});
