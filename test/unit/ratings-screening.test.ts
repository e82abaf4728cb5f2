import { expect } from 'chai';
import { ratingForm, starsQuery } from '../../src/participation/ratings/model.ts';
import { MASKS, screenComment } from '../../src/participation/ratings/screen.ts';

describe('rating comments: screening', () => {
  const cases: [string, string, string][] = [
    ['a fiscal code', 'sono RSSMRA80A01H501U grazie', `sono ${MASKS.fiscalCode} grazie`],
    ['a fiscal code in lower case', 'cf rssmra80a01h501u', `cf ${MASKS.fiscalCode}`],
    ['an omocodic fiscal code', 'RSSMRA80A01H5LMU', MASKS.fiscalCode],
    ['a full-width fiscal code', 'ＲＳＳＭＲＡ８０Ａ０１Ｈ５０１Ｕ', MASKS.fiscalCode],
    [
      'an e-mail address',
      'scrivetemi a mario.rossi@example.it per favore',
      `scrivetemi a ${MASKS.email} per favore`,
    ],
    ['an obfuscated e-mail address', 'mario.rossi [at] example.it', MASKS.email],
    ['a mobile number', 'chiamate il 347 123 4567', `chiamate il ${MASKS.phone}`],
    ['an international number', 'tel. +39 0574 123456.', `tel. ${MASKS.phone}.`],
    ['a number with dashes', '0574-18-36-11', MASKS.phone],
  ];
  for (const [what, input, expected] of cases) {
    it(`masks ${what}`, () => {
      expect(screenComment(input)).to.equal(expected);
    });
  }

  it('keeps what is not personal: short numbers, prices, ordinary words', () => {
    const text = 'Ho atteso 20 minuti, costo 22,21 euro, sportello 3. Tutto bene!';
    expect(screenComment(text)).to.equal(text);
  });

  it('leaves HTML as text (the pages escape it), masking what it hides', () => {
    expect(screenComment('<script>alert(1)</script> a@b.it')).to.equal(
      `<script>alert(1)</script> ${MASKS.email}`,
    );
  });
});

describe('rating form: validation', () => {
  const valid = { _csrf: 'x', stars: '4', reasons: ['clear', 'noProblems'], comment: ' Bene ' };

  it('accepts an answer, trims the comment, one reason given as a single value', () => {
    const parsed = ratingForm.parse({ ...valid, reasons: 'clear' });
    expect(parsed).to.deep.equal({ _csrf: 'x', stars: 4, reasons: ['clear'], comment: 'Bene' });
    expect(ratingForm.parse({ _csrf: 'x', stars: '2' })).to.deep.equal({
      _csrf: 'x',
      stars: 2,
      reasons: [],
      comment: '',
    });
  });

  for (const stars of ['0', '6', '-1', '4.5', 'abc', '', '1e0', ' 3']) {
    it(`refuses stars "${stars}"`, () => {
      expect(ratingForm.safeParse({ ...valid, stars }).success).to.equal(false);
      expect(starsQuery.safeParse({ stars }).success).to.equal(false);
    });
  }

  it('refuses a reason of the other band, an unknown one, or one given twice', () => {
    expect(ratingForm.safeParse({ ...valid, reasons: ['unclear'] }).success).to.equal(false);
    expect(ratingForm.safeParse({ ...valid, stars: '2', reasons: ['clear'] }).success).to.equal(false);
    expect(ratingForm.safeParse({ ...valid, reasons: ['__proto__'] }).success).to.equal(false);
    expect(ratingForm.safeParse({ ...valid, reasons: ['clear', 'clear'] }).success).to.equal(false);
    expect(ratingForm.safeParse({ ...valid, reasons: new Array(6).fill('clear') }).success).to.equal(false);
  });

  it('counts the comment in characters, not bytes: 200 accepted, 201 refused', () => {
    expect(ratingForm.safeParse({ ...valid, comment: 'è'.repeat(200) }).success).to.equal(true);
    expect(ratingForm.safeParse({ ...valid, comment: '😀'.repeat(200) }).success).to.equal(true);
    expect(ratingForm.safeParse({ ...valid, comment: 'a'.repeat(201) }).success).to.equal(false);
  });

  it('refuses control characters but keeps line breaks', () => {
    expect(ratingForm.safeParse({ ...valid, comment: 'a\u0000b' }).success).to.equal(false);
    expect(ratingForm.safeParse({ ...valid, comment: 'a\u001bb' }).success).to.equal(false);
    expect(ratingForm.parse({ ...valid, comment: 'riga 1\r\nriga 2' }).comment).to.equal('riga 1\nriga 2');
  });

  it('refuses fields it does not know, and a comment that is not text', () => {
    expect(ratingForm.safeParse({ ...valid, body: 'c_g999' }).success).to.equal(false);
    expect(ratingForm.safeParse({ ...valid, comment: ['a', 'b'] }).success).to.equal(false);
  });
});
