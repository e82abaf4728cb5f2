import { expect } from 'chai';
import type { PageDefinition } from '../../src/procedures/definition.schema.ts';
import { italianToday, resolveDateBound, validatePage } from '../../src/procedures/form.ts';

const both = (text: string) => ({ it: text, en: text });
const TODAY = '2026-03-15'; // a fixed clock

const page: PageDefinition = {
  id: 'p',
  title: both('Page'),
  fields: [
    {
      id: 'name',
      type: 'text',
      label: both('Name'),
      required: true,
      maxLength: 10,
      minLength: 2,
      pattern: '[A-Za-z]+',
    },
    { id: 'notes', type: 'textarea', label: both('Notes'), required: false, maxLength: 50 },
    { id: 'mail', type: 'email', label: both('Email'), required: false, maxLength: 60 },
    { id: 'phone', type: 'tel', label: both('Phone'), required: false, maxLength: 20 },
    { id: 'cf', type: 'fiscalCode', label: both('CF'), required: false },
    { id: 'count', type: 'number', label: both('Count'), required: false, min: 0, max: 10 },
    { id: 'born', type: 'date', label: both('Born'), required: false, min: 'today-10d', max: 'today' },
    {
      id: 'colour',
      type: 'select',
      label: both('Colour'),
      required: false,
      options: [{ value: 'red', label: both('Red') }],
    },
    { id: 'agree', type: 'checkbox', label: both('Agree'), required: false },
  ],
};

const check = (posted: Record<string, unknown>) => validatePage(page, { name: 'Anna', ...posted }, TODAY);
const codeOf = (posted: Record<string, unknown>, field: string) =>
  check(posted).errors.find((e) => e.field === field)?.code;

describe('procedure form validation', () => {
  it('parses valid values into typed ones', () => {
    const { values, errors } = check({
      notes: '  hello  ',
      mail: 'anna@example.it',
      phone: '+39 0574 123456',
      cf: 'rssmra80a01h501u',
      count: '7',
      born: '2026-03-10',
      colour: 'red',
      agree: 'yes',
    });
    expect(errors).to.deep.equal([]);
    expect(values).to.deep.equal({
      name: 'Anna',
      notes: 'hello',
      mail: 'anna@example.it',
      phone: '+39 0574 123456',
      cf: 'RSSMRA80A01H501U',
      count: 7,
      born: '2026-03-10',
      colour: 'red',
      agree: true,
    });
  });

  it('refuses an empty required field and keeps an unticked optional box as false', () => {
    const result = validatePage(page, { name: '   ' }, TODAY);
    expect(result.errors).to.deep.equal([{ field: 'name', code: 'required' }]);
    expect(result.values.agree).to.equal(false);
  });

  const refusals: Array<[string, Record<string, unknown>, string, string]> = [
    ['too long', { name: 'Abcdefghijk' }, 'name', 'tooLong'],
    ['too short', { name: 'A' }, 'name', 'tooShort'],
    ['not matching the pattern', { name: 'Ann4' }, 'name', 'pattern'],
    ['markup', { name: '<script>' }, 'name', 'pattern'],
    ['a huge value', { notes: 'x'.repeat(100_000) }, 'notes', 'tooLong'],
    ['a repeated field (array)', { name: ['Anna', 'Bea'] }, 'name', 'wrongType'],
    ['an object', { notes: { a: 1 } }, 'notes', 'wrongType'],
    ['a bad email', { mail: 'anna@' }, 'mail', 'email'],
    ['an email with markup', { mail: '<a>@b.it' }, 'mail', 'email'],
    ['a bad phone', { phone: 'call me' }, 'phone', 'tel'],
    ['a fiscal code with a wrong check character', { cf: 'RSSMRA80A01H501A' }, 'cf', 'fiscalCode'],
    ['a huge fiscal code', { cf: 'R'.repeat(5000) }, 'cf', 'fiscalCode'],
    ['a decimal number', { count: '1.5' }, 'count', 'number'],
    ['a number in words', { count: 'seven' }, 'count', 'number'],
    ['a number below min', { count: '-1' }, 'count', 'tooSmall'],
    ['a number above max', { count: '11' }, 'count', 'tooLarge'],
    ['an impossible date', { born: '2026-02-30' }, 'born', 'date'],
    ['a date in another format', { born: '10/03/2026' }, 'born', 'date'],
    ['a date too early', { born: '2026-03-04' }, 'born', 'tooEarly'],
    ['a date in the future', { born: '2026-03-16' }, 'born', 'tooLate'],
    ['an option not offered', { colour: 'blue' }, 'colour', 'option'],
    ['a checkbox with another value', { agree: 'true' }, 'agree', 'option'],
  ];
  for (const [what, posted, field, code] of refusals) {
    it(`refuses ${what}`, () => {
      expect(codeOf(posted, field)).to.equal(code);
      expect(check(posted).values).not.to.have.property(field);
    });
  }

  it('reports the bound a value broke', () => {
    expect(check({ born: '2026-03-01' }).errors).to.deep.equal([
      { field: 'born', code: 'tooEarly', limit: '2026-03-05' },
    ]);
    expect(check({ name: 'Abcdefghijk' }).errors[0]?.limit).to.equal(10);
  });

  it('ignores fields the page does not have (nothing else is stored)', () => {
    expect(check({ admin: 'yes', __proto__: 'x' }).values).to.deep.equal({ name: 'Anna', agree: false });
  });

  it('resolves relative date bounds against a fixed day', () => {
    expect(resolveDateBound('today', TODAY)).to.equal('2026-03-15');
    expect(resolveDateBound('today-10d', TODAY)).to.equal('2026-03-05');
    expect(resolveDateBound('today+90d', TODAY)).to.equal('2026-06-13');
    expect(resolveDateBound('2020-01-01', TODAY)).to.equal('2020-01-01');
  });

  it("uses Italy's calendar day", () => {
    expect(italianToday(new Date('2026-03-15T23:30:00Z'))).to.equal('2026-03-16');
    expect(italianToday(new Date('2026-07-01T21:59:00Z'))).to.equal('2026-07-01');
  });
});
