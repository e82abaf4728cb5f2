import { csvCell } from '../catalog/open-data.ts';
import { medianBucket, shown, type UsageReport } from './stats.report.ts';

/**
 * The public datasets, one file per dataset and month (/statistiche/<dataset>/<YYYY-MM>.csv|json):
 * columns and how each row is made from a month's report. Every count below the threshold is published
 * as "< 10" (docs/statistics.md, "Open data").
 */
export const DATASETS = {
  servizi: {
    columns: ['body_ipa_code', 'service_id', 'sheet_views', 'deep_links', 'sso_entries', 'total'],
    rows: (r: UsageReport) => r.services.map((s) => [s.body, s.service, s.sheet, s.deeplink, s.sso, s.total]),
    counts: [2, 3, 4, 5],
  },
  enti: {
    columns: ['body_ipa_code', 'sheet_views', 'deep_links', 'sso_entries', 'total'],
    rows: (r: UsageReport) => r.bodies.map((b) => [b.body, b.sheet, b.deeplink, b.sso, b.total]),
    counts: [1, 2, 3, 4],
  },
  accessi: {
    columns: ['provider', 'level', 'successful', 'failed'],
    rows: (r: UsageReport) => r.logins.map((l) => [l.provider, l.level, l.success, l.failure]),
    counts: [2, 3],
  },
  procedimenti: {
    columns: ['procedure_id', 'started', 'confirmed', 'completed', 'closed', 'median_completion_bucket'],
    rows: (r: UsageReport, threshold: number) =>
      r.procedures.map((p) => [
        p.procedure,
        p.started,
        p.confirmed,
        p.completed,
        p.closed,
        medianBucket(p.durations, threshold) ?? '',
      ]),
    counts: [1, 2, 3, 4],
  },
  urp: {
    columns: ['body_ipa_code', 'received', 'answered', 'answered_late', 'median_first_answer_bucket'],
    rows: (r: UsageReport, threshold: number) =>
      r.urp.map((u) => [
        u.body,
        u.received,
        u.answered,
        u.overdue,
        medianBucket(u.durations, threshold) ?? '',
      ]),
    counts: [1, 2, 3],
  },
} as const;

export type DatasetId = keyof typeof DATASETS;
export const DATASET_IDS = Object.keys(DATASETS) as DatasetId[];
export const isDataset = (id: string): id is DatasetId => Object.hasOwn(DATASETS, id);

/** A dataset's rows with every count below the threshold replaced by "< threshold". */
export function datasetRows(id: DatasetId, report: UsageReport, threshold: number): (string | number)[][] {
  const dataset = DATASETS[id];
  const countColumns = new Set<number>(dataset.counts);
  return dataset
    .rows(report, threshold)
    .map((row) =>
      row.map((cell, i) => (countColumns.has(i) && typeof cell === 'number' ? shown(cell, threshold) : cell)),
    );
}

/** As CSV (RFC 4180, UTF-8, CRLF line ends), with a header row. */
export function datasetCsv(id: DatasetId, rows: (string | number)[][]): string {
  const lines = [DATASETS[id].columns, ...rows].map((row) =>
    row.map((cell) => csvCell(String(cell))).join(','),
  );
  return `${lines.join('\r\n')}\r\n`;
}

/** As JSON: what it is, its month and threshold, and one object per row. */
export function datasetJson(id: DatasetId, month: string, threshold: number, rows: (string | number)[][]) {
  const columns = DATASETS[id].columns;
  return {
    dataset: id,
    month,
    threshold,
    description: `Usage statistics of the network, ${month} (UTC). Counts below ${threshold} are given as "< ${threshold}". Schema: docs/statistics.md.`,
    rows: rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i] ?? null]))),
  };
}
