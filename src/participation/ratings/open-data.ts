import { csvCell } from '../../catalog/open-data.ts';
import { BAD_REASONS, GOOD_REASONS, type SubjectKind } from './model.ts';
import type { RatingSummary } from './ratings.repository.ts';

/** One rated subject's aggregates: no single rating, no comment, nothing about who rated. */
export interface OpenRatingRow {
  kind: SubjectKind;
  subject: string;
  body?: string | undefined;
  summary: RatingSummary;
}

const REASON_COLUMNS = [
  ...GOOD_REASONS.map((r) => `good:${r}`),
  ...BAD_REASONS.map((r) => `bad:${r}`),
] as const;

const pageOf = (row: OpenRatingRow, publicUrl: string) =>
  new URL(row.kind === 'procedure' ? `/procedures/${row.subject}` : `/services/${row.subject}`, publicUrl)
    .href;

/** The ratings as JSON: one entry per rated service, sheet and procedure. */
export function ratingsJson(rows: OpenRatingRow[], publicUrl: string) {
  return {
    description:
      'Ratings of services (after use) and of information sheets (clarity), model "Valuta il servizio" (PNRR 1.4.1): aggregates only.',
    ratings: rows.map((row) => ({
      kind: row.kind,
      subject: row.subject,
      body: row.body ?? null,
      page: pageOf(row, publicUrl),
      count: row.summary.count,
      average: row.summary.average,
      distribution: Object.fromEntries(row.summary.distribution.map((n, i) => [String(i + 1), n])),
      reasons: Object.fromEntries(REASON_COLUMNS.map((r) => [r, row.summary.reasons[r] ?? 0])),
      months: row.summary.months,
    })),
  };
}

const CSV_COLUMNS = [
  'kind',
  'subject',
  'body_ipa_code',
  'page_url',
  'count',
  'average',
  'stars_1',
  'stars_2',
  'stars_3',
  'stars_4',
  'stars_5',
  ...REASON_COLUMNS.map((r) => `reason_${r.replace(':', '_')}`),
];

/** The ratings as CSV (RFC 4180, UTF-8, CRLF line ends), one row per rated subject. */
export function ratingsCsv(rows: OpenRatingRow[], publicUrl: string): string {
  const lines = rows.map((row) =>
    [
      row.kind,
      row.subject,
      row.body ?? '',
      pageOf(row, publicUrl),
      String(row.summary.count),
      row.summary.average.toFixed(1),
      ...row.summary.distribution.map(String),
      ...REASON_COLUMNS.map((r) => String(row.summary.reasons[r] ?? 0)),
    ]
      .map(csvCell)
      .join(','),
  );
  return [CSV_COLUMNS.join(','), ...lines].join('\r\n') + '\r\n';
}
