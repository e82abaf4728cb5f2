import { expect } from 'chai';
import { createI18n, formatDateTime } from '../../src/platform/i18n.ts';

describe('translation lookups', () => {
  const translations = {
    it: {
      site: {
        home: 'Home',
        greeting: 'Ciao {{name}}',
        only: 'Solo in italiano',
        twice: '{{a}} e {{a}}, {{b}}.',
      },
      items_one: '{{count}} elemento',
      items_other: '{{count}} elementi',
    },
    en: {
      site: { home: 'Home page', greeting: 'Hello {{name}}' },
      items_one: '{{count}} item',
      items_other: '{{count}} items',
    },
  };

  it('translates plain keys in each language, falling back to Italian', async () => {
    const i18n = await createI18n(translations);
    expect(i18n.t('it')('site.home')).to.equal('Home');
    expect(i18n.t('en')('site.home')).to.equal('Home page');
    expect(i18n.t('en')('site.only')).to.equal('Solo in italiano');
  });

  it('still interpolates and pluralises when given options', async () => {
    const i18n = await createI18n(translations);
    expect(i18n.t('en')('site.greeting', { name: 'Maria' })).to.equal('Hello Maria');
    expect(i18n.t('it')('items', { count: 1 })).to.equal('1 elemento');
    expect(i18n.t('en')('items', { count: 3 })).to.equal('3 items');
  });

  it('leaves a placeholder given no value as it is, and ignores values no placeholder names', async () => {
    const i18n = await createI18n(translations);
    expect(i18n.t('it')('site.greeting', {})).to.equal('Ciao {{name}}');
    expect(i18n.t('it')('site.greeting', { name: 'Maria', lng: 'en' })).to.equal('Hello Maria');
    expect(i18n.t('it')('site.greeting', { name: { first: 'Maria' } })).to.equal('Ciao [object Object]');
    expect(i18n.t('it')('site.greeting', { name: 'Maria', other: 'x' })).to.equal('Ciao Maria');
  });

  it('fills a placeholder named twice, and one given as a number', async () => {
    const i18n = await createI18n(translations);
    expect(i18n.t('it')('site.twice', { a: 'uno', b: 2 })).to.equal('uno e uno, 2.');
    expect(i18n.t('it')('site.twice', { a: 'uno' })).to.equal('uno e uno, {{b}}.');
  });

  it("answers { lng } with that language's text, falling back to Italian", async () => {
    const i18n = await createI18n(translations);
    expect(i18n.t('it')('site.home', { lng: 'en' })).to.equal('Home page');
    expect(i18n.t('en')('site.home', { lng: 'it' })).to.equal('Home');
    expect(i18n.t('it')('site.only', { lng: 'en' })).to.equal('Solo in italiano');
    expect(i18n.t('it')('items', { lng: 'en', count: 2 })).to.equal('2 items');
    expect(i18n.t('en')('site.home', { lng: 'fr' })).to.equal('Home');
    expect(i18n.t('it')('no.such.key', { lng: 'en' })).to.equal('no.such.key');
  });

  it('leaves escaping to the views: a value comes out as given, once (ejs <%= escapes it)', async () => {
    const i18n = await createI18n(translations);
    expect(i18n.t('en')('site.greeting', { name: '<b>Ada & "co"</b>' })).to.equal('Hello <b>Ada & "co"</b>');
  });

  it('answers a key the locales lack (e.g. built from request input) with the key itself', async () => {
    const i18n = await createI18n(translations);
    expect(i18n.t('it')('me.<script>')).to.equal('me.<script>');
  });

  it('gives the same texts asked again, past thousands of keys built from request input', async () => {
    const i18n = await createI18n(translations);
    for (let i = 0; i < 12_000; i++) expect(i18n.t('en')(`me.${i}`)).to.equal(`me.${i}`);
    for (const round of [1, 2]) {
      expect(i18n.t('it')('site.home'), `round ${round}`).to.equal('Home');
      expect(i18n.t('en')('site.home'), `round ${round}`).to.equal('Home page');
      expect(i18n.t('en')('site.only'), `round ${round}`).to.equal('Solo in italiano');
      expect(i18n.t('en')('site.greeting', { name: 'Maria' }), `round ${round}`).to.equal('Hello Maria');
      expect(i18n.t('en')('site.greeting'), `round ${round}`).to.equal('Hello {{name}}');
    }
  });
});

describe('dates and times on pages', () => {
  it('formats as Date.toLocaleString does, in Italian time, with formatters built once', () => {
    for (const at of [0, Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 9, 25, 1, 30), Date.now()]) {
      expect(formatDateTime('it', at)).to.equal(
        new Date(at).toLocaleString('it-IT', { timeZone: 'Europe/Rome' }),
      );
      expect(formatDateTime('en', new Date(at))).to.equal(
        new Date(at).toLocaleString('en-GB', { timeZone: 'Europe/Rome' }),
      );
    }
    expect(formatDateTime('it', Date.UTC(2026, 6, 1, 10, 0, 5))).to.equal('01/07/2026, 12:00:05');
  });

  it('formats each second once, and every instant of it the same, also asked again and before 1970', () => {
    for (const second of [Date.UTC(2026, 6, 1, 10, 0, 5), -1000, Date.UTC(2026, 9, 25, 0, 59, 59)])
      for (const at of [second, second + 1, second + 999, second + 1000, second + 999, second]) {
        expect(formatDateTime('it', at)).to.equal(
          new Date(at).toLocaleString('it-IT', { timeZone: 'Europe/Rome' }),
        );
        expect(formatDateTime('en', new Date(at))).to.equal(
          new Date(at).toLocaleString('en-GB', { timeZone: 'Europe/Rome' }),
        );
      }
    expect(() => formatDateTime('it', Number.NaN)).to.throw(RangeError);
  });
});
