import { z } from 'zod';

/**
 * The Italian "Valuta il servizio" model (Designers Italia, required by PNRR measure 1.4.1): 1 to 5
 * stars, then what went well (4–5 stars) or where the difficulty was (1–3), from a closed list, then an
 * optional comment of at most 200 characters. A service is asked "Quanto sei soddisfatto del
 * servizio?", an information sheet "Quanto sono chiare le informazioni su questa pagina?".
 */
export const STARS = [1, 2, 3, 4, 5] as const;
export type Stars = (typeof STARS)[number];

export const GOOD_REASONS = ['clear', 'complete', 'knewProgress', 'noProblems', 'other'] as const;
export const BAD_REASONS = ['unclear', 'incomplete', 'unsureProgress', 'technicalProblems', 'other'] as const;
export type Band = 'good' | 'bad';

/** Which list of reasons a number of stars asks from. */
export const bandOf = (stars: Stars): Band => (stars >= 4 ? 'good' : 'bad');
export const reasonsOf = (band: Band): readonly string[] => (band === 'good' ? GOOD_REASONS : BAD_REASONS);

export const COMMENT_MAX = 200;

/**
 * What is rated: a catalog service (after a use of it), an information sheet (its clarity, anonymous),
 * or a composite procedure of the network (after filing it, and when it finished).
 */
export const SUBJECT_KINDS = ['service', 'sheet', 'procedure'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

export interface Subject {
  kind: SubjectKind;
  /** The service id (service, sheet) or the procedure id. */
  id: string;
  /** The body's IPA code; none for the network's own procedures. */
  body?: string | undefined;
}

/** How the citizen used the service: a deep link followed, a single sign-on entry, a procedure. */
export const USE_CHANNELS = ['deepLink', 'sso', 'filed', 'finished'] as const;
export type UseChannel = (typeof USE_CHANNELS)[number];

/** One rating as the bodies and the open data see it: no citizen, no time finer than the day. */
export interface RatingRecord {
  id: string;
  kind: SubjectKind;
  subject: string;
  body?: string | undefined;
  stars: Stars;
  reasons: string[];
  /** Screened (screen.ts) before it was stored. */
  comment: string;
  /** The day it was first given (Europe/Rome). */
  day: string;
}

/** A form's `reasons`: absent, one value or several (checkboxes of the same name). */
const reasonList = z
  .union([z.string().max(40), z.array(z.string().max(40)).max(BAD_REASONS.length)])
  .optional()
  .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]));

/** Control characters other than line breaks and tabs: never part of a comment. */
const CONTROL = /(?![\n\t])\p{Cc}/u;

const comment = z
  .string()
  .optional()
  .transform((value) => (value ?? '').replace(/\r\n?/g, '\n').trim())
  .refine((value) => [...value].length <= COMMENT_MAX, `at most ${COMMENT_MAX} characters`)
  .refine((value) => !CONTROL.test(value), 'no control characters');

const starsField = z.enum(['1', '2', '3', '4', '5']).transform((value) => Number(value) as Stars);

/** The stars chosen at the first step (a GET form: no token needed to show the second). */
export const starsQuery = z.object({ stars: starsField });

/** The whole answer, posted with its form token; reasons must come from the stars' list, once each. */
export const ratingForm = z
  .strictObject({
    _csrf: z.string(),
    stars: starsField,
    reasons: reasonList,
    comment,
  })
  .superRefine((form, ctx) => {
    const allowed = reasonsOf(bandOf(form.stars));
    if (form.reasons.some((r) => !allowed.includes(r)))
      ctx.addIssue({ code: 'custom', path: ['reasons'], message: 'a reason from the list of these stars' });
    if (new Set(form.reasons).size !== form.reasons.length)
      ctx.addIssue({ code: 'custom', path: ['reasons'], message: 'each reason once' });
  });

export type RatingAnswer = Pick<z.output<typeof ratingForm>, 'stars' | 'reasons' | 'comment'>;
