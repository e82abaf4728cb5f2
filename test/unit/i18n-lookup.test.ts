import { expect } from 'chai';
import i18next from 'i18next';
import {
  createI18n,
  formatDateTime,
  LANGUAGES,
  readTranslations,
  type Translations,
} from '../../src/platform/i18n.ts';

/** Every leaf text of a translation tree, as "a.b.c" → text. */
function leaves(tree: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  return Object.entries(tree).flatMap(([key, value]): Array<[string, string]> => {
    const full = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') return [[full, value]];
    return typeof value === 'object' && value !== null ? leaves(value as Record<string, unknown>, full) : [];
  });
}

/** i18next itself, set up as createI18n sets it up: what the lookups must agree with. */
async function referenceI18next(translations: Translations) {
  const reference = i18next.createInstance();
  await reference.init({
    lng: 'it',
    fallbackLng: 'it',
    resources: { it: { translation: translations.it }, en: { translation: translations.en } },
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return reference;
}

/** createI18n answers plain keys from a table built at start: it must say exactly what i18next says. */
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

  it('fills in every placeholder text of the real locales exactly as i18next does', async () => {
    const real = readTranslations();
    const i18n = await createI18n(real);
    const reference = await referenceI18next(real);
    let compared = 0;
    for (const language of LANGUAGES) {
      const texts = leaves(real[language]);
      for (const [key, text] of texts) {
        const names = [...new Set([...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] ?? ''))];
        if (names.length === 0) continue;
        // Values that look like i18next syntax must come out as they are, and numbers as digits.
        const values = Object.fromEntries(
          names.map((name, i) => [name, i % 2 ? 42 : `<${name}> {{${name}}} $t(site.home)`]),
        );
        expect(i18n.t(language)(key, values), `${language} ${key}`).to.equal(
          reference.getFixedT(language)(key, values),
        );
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(20);
  });

  it('leaves to i18next a call with fewer values, other options or another language', async () => {
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

  it("answers { lng } alone with that language's text, as i18next does, falling back to Italian", async () => {
    const i18n = await createI18n(translations);
    expect(i18n.t('it')('site.home', { lng: 'en' })).to.equal('Home page');
    expect(i18n.t('en')('site.home', { lng: 'it' })).to.equal('Home');
    expect(i18n.t('it')('site.only', { lng: 'en' })).to.equal('Solo in italiano');
    expect(i18n.t('it')('items', { lng: 'en', count: 2 })).to.equal('2 items');
    expect(i18n.t('en')('site.home', { lng: 'fr' })).to.equal('Home');
    expect(i18n.t('it')('no.such.key', { lng: 'en' })).to.equal('no.such.key');
    const real = readTranslations();
    const reference = await referenceI18next(real);
    const i18nReal = await createI18n(real);
    for (const [key] of leaves(real.it)) {
      for (const lng of LANGUAGES) {
        expect(i18nReal.t('it')(key, { lng }), `${lng} ${key}`).to.equal(reference.t(key, { lng }));
      }
    }
  });

  it('answers a key the locales lack (e.g. built from request input) with the key itself', async () => {
    const i18n = await createI18n(translations);
    expect(i18n.t('it')('me.<script>')).to.equal('me.<script>');
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
