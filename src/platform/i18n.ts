import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import i18next, { type TFunction } from 'i18next';

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
  const fixed = { it: instance.getFixedT('it'), en: instance.getFixedT('en') };
  return { t: (language) => fixed[language] };
}

/** The language a request is served in: the citizen's choice (cookie), else the browser's, else Italian. */
export function chooseLanguage(req: Request): Language {
  const chosen = readCookie(req, LANGUAGE_COOKIE);
  if (isLanguage(chosen)) return chosen;
  const accepted = req.acceptsLanguages(...LANGUAGES);
  return isLanguage(accepted) ? accepted : DEFAULT_LANGUAGE;
}

function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** Puts the request's language and translator where controllers and views find them. */
export function languageMiddleware(i18n: I18n) {
  return (req: Request, res: Response, next: NextFunction) => {
    const language = chooseLanguage(req);
    res.locals.lang = language;
    res.locals.t = i18n.t(language);
    res.setHeader('Content-Language', language);
    res.vary('Accept-Language');
    next();
  };
}
