import type { RatingRecord, Stars } from '../participation/ratings/model.ts';
import type { Ratings } from '../participation/ratings/ratings.service.ts';

/** The demo sheet that shows its ratings: the Comune di Prato's electronic identity card. */
export const DEMO_RATED_SERVICE = 'prato-carta-identita-elettronica';

/** Demo answers: stars, reasons, comment (plain, made up, with nothing personal to screen). */
const SERVICE_ANSWERS: [Stars, string[], string][] = [
  [5, ['clear', 'noProblems'], 'Prenotazione fatta in pochi minuti.'],
  [5, ['complete'], ''],
  [4, ['clear'], 'Bene, ma pochi appuntamenti disponibili.'],
  [4, ['knewProgress'], ''],
  [5, ['clear', 'complete'], ''],
  [3, ['incomplete'], 'Non era chiaro quali documenti portare.'],
  [4, ['noProblems'], ''],
  [2, ['technicalProblems'], 'Il calendario non si caricava dal telefono.'],
  [5, ['clear'], ''],
  [4, ['other'], 'Personale gentile allo sportello.'],
  [5, ['knewProgress', 'noProblems'], ''],
  [4, ['clear'], ''],
];

const SHEET_ANSWERS: [Stars, string[]][] = [
  [5, ['clear']],
  [4, ['complete']],
  [4, ['clear']],
  [3, ['incomplete']],
  [5, ['clear', 'complete']],
  [5, []],
  [4, ['clear']],
  [2, ['unclear']],
  [5, ['complete']],
  [4, []],
  [5, ['clear']],
];

/** The day `daysAgo` days before today, so the demo trend spans the last months. */
const dayBefore = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

/**
 * Seeds a few ratings of one demo service and of its sheet, once (a sheet that already has ratings is
 * left alone), so the demo sheet shows an average and a distribution, and the editor's and admin's
 * views have something to show.
 */
export async function seedDemoRatings(
  ratings: Ratings,
  published: (id: string) => Promise<{ id: string; bodyId: string } | undefined>,
): Promise<number> {
  const service = await published(DEMO_RATED_SERVICE);
  if (!service) return 0;
  const { store } = ratings;
  const subject = { id: service.id, body: service.bodyId };
  if ((await store.summary({ kind: 'service', ...subject })).count > 0) return 0;
  const record = (
    kind: 'service' | 'sheet',
    i: number,
    stars: Stars,
    reasons: string[],
    comment = '',
  ): RatingRecord => ({
    id: store.newId(),
    kind,
    subject: service.id,
    body: service.bodyId,
    stars,
    reasons,
    comment,
    day: dayBefore(i * 9),
  });
  const all = [
    ...SERVICE_ANSWERS.map(([stars, reasons, comment], i) => record('service', i, stars, reasons, comment)),
    ...SHEET_ANSWERS.map(([stars, reasons], i) => record('sheet', i, stars, reasons)),
  ];
  for (const rating of all) await store.save(rating);
  return all.length;
}
