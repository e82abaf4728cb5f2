import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import { ACCESS_MODES } from '../../src/catalog/presenters.ts';
import { ERROR_PAGES, SPECIFIC_MESSAGES } from '../../src/platform/error-handler.ts';
import { chooseLanguage, createI18n, LANGUAGES, readTranslations } from '../../src/platform/i18n.ts';

type Tree = Record<string, unknown>;
const translations = readTranslations();

/** Every leaf of a translation tree as "a.b.c" → value. */
function leaves(tree: Tree, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(tree)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of leaves(value as Tree, full)) out.set(k, v);
    } else out.set(full, value);
  }
  return out;
}

function node(tree: Tree, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((at, key) => (at as Tree | undefined)?.[key], tree);
}

function sourceFiles(dir: string, extensions: string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => extensions.includes(path.extname(file)))
    .map((file) => path.join(dir, file));
}

/**
 * Translation keys used in the sources. A call whose key is a plain literal gives a static key; one that
 * starts with a literal and goes on with "+ x" or a template substitution gives a dynamic prefix.
 */
function usedKeys() {
  const staticKeys = new Map<string, string>();
  const dynamicPrefixes = new Map<string, string>();
  const call = /(?<![\w.$])t\(\s*(?:'([^']*)'|"([^"]*)"|`([^`]*)`)\s*([,)+])/g;
  for (const file of [...sourceFiles('src', ['.ts']), ...sourceFiles('views', ['.ejs'])]) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(call)) {
      const [, single, double, template, after] = match;
      const literal = single ?? double ?? template ?? '';
      const substitution = template?.indexOf('${') ?? -1;
      if (substitution >= 0) dynamicPrefixes.set(literal.slice(0, substitution), file);
      else if (after === '+') dynamicPrefixes.set(literal, file);
      else staticKeys.set(literal, file);
    }
  }
  return { staticKeys, dynamicPrefixes };
}

/** Dynamic keys whose possible values are known: every one of them must be translated. */
const KNOWN_DYNAMIC_KEYS = [
  ...[...ERROR_PAGES.map(String), ...SPECIFIC_MESSAGES].flatMap((key) => [
    `errors.${key}.title`,
    `errors.${key}.message`,
  ]),
  ...LANGUAGES.map((code) => `site.languageNames.${code}`),
  ...ACCESS_MODES.map((mode) => `catalog.access.${mode}`),
  'me.sessionEnded',
  'me.othersEnded',
];

describe('translations', () => {
  const it_ = leaves(translations.it);
  const en = leaves(translations.en);

  it('Italian and English have exactly the same keys', () => {
    const onlyIt = [...it_.keys()].filter((key) => !en.has(key));
    const onlyEn = [...en.keys()].filter((key) => !it_.has(key));
    expect(onlyIt, 'keys missing in en.json').to.deep.equal([]);
    expect(onlyEn, 'keys missing in it.json').to.deep.equal([]);
  });

  it('has no empty or non-string values', () => {
    for (const [language, map] of [
      ['it', it_],
      ['en', en],
    ] as const) {
      const bad = [...map].filter(([, value]) => typeof value !== 'string' || value.trim() === '');
      expect(
        bad.map(([key]) => key),
        `empty values in ${language}.json`,
      ).to.deep.equal([]);
    }
  });

  it('has no Italian text left as the English one, but for words Italian uses as they are', () => {
    const sameInItalian = new Set([
      'site.languageNames.it',
      'site.languageNames.en',
      'site.home',
      'catalog.channels.online',
      'catalog.channels.app',
      'catalog.channels.email',
      'oidc.demoOp.identity',
      'procedures.no',
    ]);
    const untranslated = [...it_].filter(([key, value]) => en.get(key) === value && !sameInItalian.has(key));
    expect(untranslated.map(([key, value]) => `${key}: ${String(value)}`)).to.deep.equal([]);
  });

  it('uses the same {{placeholders}} in both languages', () => {
    const placeholders = (text: unknown) =>
      [...String(text).matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();
    const different = [...it_.keys()].filter(
      (key) => JSON.stringify(placeholders(it_.get(key))) !== JSON.stringify(placeholders(en.get(key))),
    );
    expect(different).to.deep.equal([]);
  });

  it('has every key the views and the code use', () => {
    const { staticKeys } = usedKeys();
    expect(staticKeys.size, 'the scan found no keys: is the pattern broken?').to.be.greaterThan(20);
    const missing = [...staticKeys].filter(([key]) => !it_.has(key)).map(([key, file]) => `${key} (${file})`);
    expect(missing).to.deep.equal([]);
  });

  it('has a namespace for every dynamically built key, and every known dynamic key', () => {
    const { dynamicPrefixes } = usedKeys();
    expect([...dynamicPrefixes.keys()]).to.include.members(['errors.', 'site.languageNames.', 'me.']);
    for (const [prefix, file] of dynamicPrefixes) {
      const namespace = prefix.replace(/\.$/, '');
      for (const language of LANGUAGES) {
        const found = node(translations[language], namespace);
        expect(found, `${prefix}… (${file}) has no namespace in ${language}.json`).to.be.an('object');
      }
    }
    const missing = KNOWN_DYNAMIC_KEYS.filter((key) => !it_.has(key));
    expect(missing).to.deep.equal([]);
  });
});

describe('language negotiation', () => {
  /** A request as express builds it, with these headers only. */
  const requestWith = (headers: Record<string, string>) =>
    Object.assign(Object.create(express.request) as express.Request, { headers });

  it('answers every Accept-Language as negotiation does, past the thousand headers it remembers', () => {
    const seen: Array<[string, string]> = [];
    for (let i = 0; i < 2500; i++) {
      const header =
        i % 3 === 0 ? `x-${i}, en;q=0.${(i % 9) + 1}` : i % 3 === 1 ? `de-${i}, fr;q=0.9` : `it-${i}, en`;
      const expected = i % 3 === 0 ? 'en' : i % 3 === 1 ? 'it' : 'en';
      seen.push([header, expected]);
      expect(chooseLanguage(requestWith({ 'accept-language': header })), header).to.equal(expected);
    }
    for (const [header, expected] of seen.slice(0, 50)) {
      expect(chooseLanguage(requestWith({ 'accept-language': header })), header).to.equal(expected);
    }
    expect(chooseLanguage(requestWith({ 'accept-language': `${'x'.repeat(300)}, en` }))).to.equal('en');
    expect(chooseLanguage(requestWith({}))).to.equal('it');
    expect(chooseLanguage(requestWith({ 'accept-language': 'en', cookie: 'varco.lang=it' }))).to.equal('it');
  });
});

describe('translating', () => {
  it('gives each shared text with options (layout, information sheet, personal area) for its own options, however often asked', async () => {
    const t = (await createI18n(translations)).t('it');
    for (let i = 0; i < 3; i++) {
      expect(t('site.networkOf', { territory: 'Prato' })).to.equal('Rete degli enti pubblici di Prato');
      expect(t('site.networkOf', { territory: 'Lucca' })).to.equal('Rete degli enti pubblici di Lucca');
      expect(t('site.switchTo', { lng: 'en' })).to.equal('Read in English');
      expect(t('site.switchTo', { lng: 'it' })).to.equal('Leggi in italiano');
      expect(t('site.switchTo')).to.equal('Leggi in italiano');
      expect(t('catalog.sheet.updatedAt', { date: `${i + 1} maggio` })).to.equal(
        `Ultimo aggiornamento: ${i + 1} maggio`,
      );
      expect(t('catalog.openState.opens.weekday', { weekday: 'lunedì', time: '9:00' })).to.equal(
        'apre lunedì alle 9:00',
      );
      expect(t('catalog.openState.opens.weekday', { weekday: 'martedì', time: '9:00' })).to.equal(
        'apre martedì alle 9:00',
      );
      expect(t('me.levelValue', { level: 1 })).to.equal('Livello 1 (SPID o equivalente)');
      expect(t('me.levelValue', { level: 2 })).to.equal('Livello 2 (SPID o equivalente)');
      expect(t('me.deviceOn', { browser: 'Firefox', os: 'Linux' })).to.equal('Firefox su Linux');
      expect(t('me.email.active', { address: `a${i}@example.org` })).to.include(`a${i}@example.org`);
    }
  });
});
