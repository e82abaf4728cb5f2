import { italianForms, type ItalianArticle } from '../catalog/italian-article.ts';
import type { Request, Response } from 'express';
import type { CitizenIdentity } from '../identity/citizen.ts';
import { AppError } from '../platform/errors.ts';
import type { Language } from '../platform/i18n.ts';
import type { Procedure } from './definitions.ts';
import type { BodyNames, Translate } from './journey.presenter.ts';
import { journeyTable, type JourneyState } from './journey.ts';

/** What the procedure pages' controllers share: the page's language, the citizen, names of bodies. */

/** A body's name in a language, by IPA code (the catalog's), with the Italian article it declares. */
export type BodyNameLookup = (
  ipaCode: string,
  lang: Language,
) => Promise<{ name: string; article?: ItalianArticle } | undefined>;

/** The page's language and the translator for it (set by languageMiddleware, src/platform/i18n.ts). */
export const pageLanguage = (res: Response) => ({
  lang: res.locals.lang as Language,
  t: res.locals.t as Translate,
});

export const citizenOf = (req: Request): CitizenIdentity => {
  const citizen = req.session.citizen;
  if (!citizen) throw new AppError(401, 'login_required');
  return citizen;
};

/** The names of the bodies a procedure's steps go to (the IPA code where the catalog has none). */
export async function bodyNames(
  procedure: Procedure,
  lang: Language,
  lookup: BodyNameLookup,
): Promise<BodyNames> {
  const ipaCodes = [...new Set(procedure.order.map((step) => step.body))];
  const names = await Promise.all(
    ipaCodes.map(async (ipa) => [ipa, (await lookup(ipa, lang))?.name ?? ipa] as const),
  );
  return new Map(names);
}

/**
 * How sentences name each body of a procedure: in Italian with its article ("all'INPS", "Il Comune di
 * Prato"), in English by its name alone.
 */
export async function bodyForms(procedure: Procedure, lang: Language, lookup: BodyNameLookup) {
  const ipaCodes = [...new Set(procedure.order.map((step) => step.body))];
  const forms = await Promise.all(
    ipaCodes.map(async (ipa) => {
      const found = await lookup(ipa, lang);
      const name = found?.name ?? ipa;
      const forms =
        lang === 'it'
          ? italianForms(name, found?.article)
          : { name, subject: name, to: name, from: name, of: name };
      return [ipa, forms] as const;
    }),
  );
  return new Map(forms);
}

/** The journey's states, numbered for "step 2 of 7". */
export const progress = (procedure: Procedure, state: JourneyState) => {
  const states = [...journeyTable(procedure.definition).keys()];
  return { step: states.indexOf(state) + 1, total: states.length };
};
