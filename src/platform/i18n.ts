import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import i18next, { type TFunction } from 'i18next';
import { readCookie } from './cookies.ts';

export const LANGUAGES = ['it', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'it';
export const LANGUAGE_COOKIE = 'varco.lang';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export type Translations = Record<Language, Record<string, unknown>>;

export function readTranslations(dir = 'locales'): Translations {
  const read = (language: Language) =>
    JSON.parse(readFileSync(`${dir}/${language}.json`, 'utf8')) as Record<string, unknown>;
  return { it: read('it'), en: read('en') };
}

export interface I18n {
  t(language: Language): TFunction;
}

/** One i18next instance per app (no global), Italian first; a missing key shows as the key, and a test fails. */
export async function createI18n(translations: Translations): Promise<I18n> {
  const instance = i18next.createInstance();
  await instance.init({
    lng: DEFAULT_LANGUAGE,
    fallbackLng: DEFAULT_LANGUAGE,
    supportedLngs: [...LANGUAGES],
    resources: { it: { translation: translations.it }, en: { translation: translations.en } },
    interpolation: { escapeValue: false }, // ejs escapes on output
    returnNull: false,
  });
  const keys = [...new Set([...leafKeys(translations.it), ...leafKeys(translations.en)])];
  const plain = {
    it: plainTexts(instance.getFixedT('it'), keys),
    en: plainTexts(instance.getFixedT('en'), keys),
  };
  const fixed = {
    it: withPlainLookups(instance.getFixedT('it'), plain.it, plain),
    en: withPlainLookups(instance.getFixedT('en'), plain.en, plain),
  };
  return { t: (language) => fixed[language] };
}

/** What each key gives without options, asked of i18next once. */
function plainTexts(t: TFunction, keys: readonly string[]): Map<string, string> {
  const translate = t as unknown as (key: string) => string;
  return new Map(keys.map((key) => [key, translate(key)]));
}

/** Every leaf of a translation tree, as "a.b.c". */
function leafKeys(tree: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) => {
    const full = prefix ? `${prefix}.${key}` : key;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? leafKeys(value as Record<string, unknown>, full)
      : [full];
  });
}

/**
 * i18next's t() copies its whole options object on every call, which made translating the largest cost
 * of rendering a page (bench/http-pages.ts). Without options a key always gives the same text, so those
 * texts are asked of i18next once, at start, for every key the locales define; with only `lng` (the
 * footer's "Read in English"), the other language's text. A text whose only syntax is {{name}}
 * placeholders, called with exactly those names as string or number values, is filled in here the way
 * i18next would (escapeValue is off; values are not interpolated again). Everything else (plurals,
 * context, formats, nesting, keys the locales lack) goes through i18next; a key built from request
 * input therefore never grows the tables.
 */
function withPlainLookups(
  t: TFunction,
  plain: ReadonlyMap<string, string>,
  byLanguage: Readonly<Record<Language, ReadonlyMap<string, string>>>,
): TFunction {
  const translate = t as unknown as (...args: unknown[]) => string;
  const templates = new Map<string, Template>();
  for (const [key, text] of plain) {
    const names = [...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
    const rest = text.replace(PLACEHOLDER, '');
    const simple =
      !rest.includes('{{') && !rest.includes('$t(') && !names.some((n) => I18NEXT_OPTIONS.has(n));
    // "Ciao {{name}}!" → parts ["Ciao ", "!"], names ["name"]: filled by joining, no regular expression.
    if (names.length > 0 && simple)
      templates.set(key, {
        parts: text.split(PLACEHOLDER).filter((_, i) => i % 2 === 0),
        names,
        distinct: new Set(names).size,
      });
  }
  // Parameters, not a rest array: a page makes dozens of calls. i18next's own forms are t(key),
  // t(key, options) and t(key, defaultValue, options).
  const lookup = (key: unknown, values?: unknown, options?: unknown) => {
    if (typeof key !== 'string' || options !== undefined) return translate(key, values, options);
    if (values === undefined) return plain.get(key) ?? translate(key);
    const other = onlyLanguage(values);
    if (other) return byLanguage[other].get(key) ?? translate(key, values);
    const template = templates.get(key);
    return (template && fill(template, values)) ?? translate(key, values);
  };
  return lookup as unknown as TFunction;
}

/** The language of options that are `{ lng }` alone, naming one of ours (asked of every call with values). */
function onlyLanguage(values: unknown): Language | undefined {
  if (typeof values !== 'object' || values === null || !('lng' in values)) return undefined;
  const { lng } = values as { lng?: unknown };
  return isLanguage(lng) && Object.keys(values).length === 1 ? lng : undefined;
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;
/** Option names that change what i18next looks up (plural, context, language…): never filled in here. */
const I18NEXT_OPTIONS = new Set([
  'count',
  'context',
  'lng',
  'lngs',
  'ns',
  'defaultValue',
  'ordinal',
  'replace',
]);

/** A text whose only syntax is {{name}} placeholders: the text around them, and their names in order. */
interface Template {
  parts: string[];
  names: string[];
  /** How many different names (a placeholder may stand twice). */
  distinct: number;
}

/**
 * The template filled in, when `values` (a plain object) gives a string or number for each placeholder
 * and nothing else (no i18next option); otherwise undefined, and i18next does it.
 */
function fill(template: Template, values: unknown): string | undefined {
  if (typeof values !== 'object' || values === null || Object.getPrototypeOf(values) !== Object.prototype)
    return undefined;
  const given = values as Record<string, unknown>;
  const { parts, names, distinct } = template;
  let count = 0;
  for (const name in given) {
    const value = given[name];
    if (!names.includes(name) || (typeof value !== 'string' && typeof value !== 'number')) return undefined;
    count++;
  }
  // Each placeholder's name given once: as many values as distinct names.
  if (count !== distinct) return undefined;
  let text = parts[0] ?? '';
  for (let i = 0; i < names.length; i++) text += String(given[names[i] ?? '']) + (parts[i + 1] ?? '');
  return text;
}

/** The language a request is served in: the citizen's choice (cookie), else the browser's, else Italian. */
export function chooseLanguage(req: Request): Language {
  const chosen = readCookie(req, LANGUAGE_COOKIE);
  if (isLanguage(chosen)) return chosen;
  const header = req.headers['accept-language'];
  if (header === undefined || header.length > NEGOTIATED_HEADER_MAX) return negotiate(req);
  let language = NEGOTIATED.get(header);
  if (language === undefined) {
    if (NEGOTIATED.size >= NEGOTIATED_MAX) NEGOTIATED.clear();
    language = negotiate(req);
    NEGOTIATED.set(header, language);
  }
  return language;
}

function negotiate(req: Request): Language {
  const accepted = req.acceptsLanguages(...LANGUAGES);
  return isLanguage(accepted) ? accepted : DEFAULT_LANGUAGE;
}

/**
 * Accept-Language headers and the language each negotiated: browsers send few distinct ones, and
 * parsing one (negotiator) cost as much as writing the request's log line. Bounded in count and in the
 * length of the headers kept; cleared when full.
 */
const NEGOTIATED = new Map<string, Language>();
const NEGOTIATED_MAX = 1000;
const NEGOTIATED_HEADER_MAX = 256;

/**
 * Date and time as pages show them: Italian time, numeric, in the page's language (what
 * Date.toLocaleString gives). The formatters are built once: building one costs a hundred times more
 * than formatting with it.
 */
const DATE_TIME_OPTIONS: Intl.DateTimeFormatOptions = {
  timeZone: 'Europe/Rome',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
};
const DATE_TIME_FORMATS: Record<Language, Intl.DateTimeFormat> = {
  it: new Intl.DateTimeFormat('it-IT', DATE_TIME_OPTIONS),
  en: new Intl.DateTimeFormat('en-GB', DATE_TIME_OPTIONS),
};

/** A time (milliseconds since the epoch, or a Date) as pages show it; views call it as formatDateTime(…). */
export function formatDateTime(language: Language, value: number | Date): string {
  // The text names the second: one formatting per second shown, however often a page shows it.
  // Number(): the time value Intl itself takes of what it is given (a Date's, a number's).
  const second = Math.floor(Number(value) / 1000);
  const formatted = FORMATTED[language];
  let text = formatted.get(second);
  if (text === undefined) {
    text = DATE_TIME_FORMATS[language].format(value);
    if (formatted.size >= FORMATTED_MAX) formatted.clear();
    formatted.set(second, text);
  }
  return text;
}

/**
 * Times pages show again and again (a session's start and last activity, a login) as formatted, by
 * language and second: Intl's formatting cost a personal area more than its translations. Bounded;
 * cleared when full.
 */
const FORMATTED: Record<Language, Map<number, string>> = { it: new Map(), en: new Map() };
const FORMATTED_MAX = 5000;
const FORMAT_DATE_TIME = {
  it: (value: number | Date) => formatDateTime('it', value),
  en: (value: number | Date) => formatDateTime('en', value),
};

/** A day in words, Italian time ("23 novembre 2026", "23 November 2026"); views call formatDate(…). */
const DAY_OPTIONS: Intl.DateTimeFormatOptions = {
  timeZone: 'Europe/Rome',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
};
const DATE_FORMATS: Record<Language, Intl.DateTimeFormat> = {
  it: new Intl.DateTimeFormat('it-IT', DAY_OPTIONS),
  en: new Intl.DateTimeFormat('en-GB', DAY_OPTIONS),
};
const FORMAT_DATE = {
  it: (value: number | string | Date) => DATE_FORMATS.it.format(new Date(value)),
  en: (value: number | string | Date) => DATE_FORMATS.en.format(new Date(value)),
};

/** Puts the request's language, translator and date formatting where controllers and views find them. */
export function languageMiddleware(i18n: I18n) {
  return (req: Request, res: Response, next: NextFunction) => {
    const language = chooseLanguage(req);
    res.locals.lang = language;
    res.locals.t = i18n.t(language);
    res.locals.formatDateTime = FORMAT_DATE_TIME[language];
    res.locals.formatDate = FORMAT_DATE[language];
    res.setHeader('Content-Language', language);
    if (res.getHeader('Vary') === undefined) res.setHeader('Vary', 'Accept-Language');
    else res.vary('Accept-Language');
    next();
  };
}
