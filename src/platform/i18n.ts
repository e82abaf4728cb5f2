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

/**
 * One i18next instance per language (no global), each holding both locales: t(key, { lng }) still
 * answers in the other one, and a text missing in English falls back to Italian; a missing key shows as
 * the key, and a test fails. An instance per language rather than getFixedT: its t copies all of
 * i18next's options on every call, which made it three times slower (a page makes dozens of calls).
 * Values are not escaped here: views print translations with ejs's `<%=`, which escapes them.
 */
export async function createI18n(translations: Translations): Promise<I18n> {
  const resources = { it: { translation: translations.it }, en: { translation: translations.en } };
  const translator = (lng: Language) =>
    i18next.createInstance().init({
      lng,
      fallbackLng: DEFAULT_LANGUAGE,
      supportedLngs: [...LANGUAGES],
      resources,
      interpolation: { escapeValue: false },
      returnNull: false,
    });
  const fixed = { it: remembered(await translator('it')), en: remembered(await translator('en')) };
  return { t: (language) => fixed[language] };
}

/**
 * Texts with options that hold no one's data, only the configuration's, the catalog's and fixed tables':
 * the layout's (views/layout: the network's territory, a language's code, on every page), an information
 * sheet's (a body's name, a date, a desk's hours and a service's maintenance, the ratings' threshold and
 * the stars of a distribution), and the personal area's
 * descriptions of a session or an identity (a level, a browser and a system named from the tables of
 * src/identity/user-agent.ts, a provider's name). The same options give the same text to every visitor.
 */
const SHARED_KEYS: ReadonlySet<string> = new Set([
  'site.networkOf',
  'site.switchTo',
  'catalog.sheet.sharedDataIntro',
  'catalog.sheet.updatedAt',
  'catalog.openState.closesAt',
  'catalog.openState.closedHoliday',
  'catalog.openState.maintenanceNow',
  'catalog.openState.maintenanceWindow',
  'catalog.openState.opens.today',
  'catalog.openState.opens.tomorrow',
  'catalog.openState.opens.weekday',
  'catalog.openState.opens.date',
  'me.levelValue',
  'me.levelOfProvider',
  'me.deviceOn',
  'me.sessionVia',
  'me.endSessionLabel',
  'participation.sheet.notEnough',
  'participation.star',
  'participation.stars',
]);

/**
 * An instance's t that asks i18next once for what a key alone gives, and remembers the answer: the
 * resources are fixed at start, so t(key) without options always gives the same text, and i18next's t
 * copies its options and walks key parsing, fallbacks, interpolation and nesting on every call (most of
 * a page's rendering time: a page makes about a hundred such calls). So are the texts with options
 * that hold no one's data (SHARED_KEYS), by key and options: the layout makes three such calls on every
 * page, an information sheet three more and the personal area a few for each session, each costing as
 * much as a hundred remembered texts. Other
 * calls with options (plurals, placeholders that may hold a person's data or a visitor's input) always
 * go to i18next. Bounded, since a key can be built from request input; cleared when full.
 */
function remembered(t: TFunction): TFunction {
  const texts = new Map<string, string>();
  const translate = t as unknown as (key: unknown, options?: unknown, more?: unknown) => string;
  // Parameters, not a rest array: i18next's forms are t(key), t(key, options), t(key, default, options).
  const lookup = (key: unknown, options?: unknown, more?: unknown) => {
    if (typeof key !== 'string' || more !== undefined) return translate(key, options, more);
    let textKey = key;
    if (options !== undefined) {
      if (!SHARED_KEYS.has(key)) return translate(key, options);
      textKey = `${key}\n${JSON.stringify(options)}`;
    }
    let text = texts.get(textKey);
    if (text === undefined) {
      text = translate(key, options);
      if (texts.size >= REMEMBERED_MAX) texts.clear();
      texts.set(textKey, text);
    }
    return text;
  };
  return lookup as unknown as TFunction;
}
const REMEMBERED_MAX = 5000;

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
