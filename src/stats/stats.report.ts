import { DURATION_BUCKETS } from './events.ts';

/** A count as published: the number, or "< threshold" when fewer (nothing traceable to a person). */
export type Shown = number | `< ${number}`;

export const shown = (count: number, threshold: number): Shown =>
  count < threshold ? `< ${threshold}` : count;

export interface ServiceUse {
  service: string;
  body: string;
  sheet: number;
  deeplink: number;
  sso: number;
  total: number;
}
export interface BodyUse {
  body: string;
  sheet: number;
  deeplink: number;
  sso: number;
  total: number;
}
export interface LoginRow {
  provider: string;
  level: string;
  success: number;
  failure: number;
}
export interface ProcedureRow {
  procedure: string;
  started: number;
  confirmed: number;
  completed: number;
  closed: number;
  /** Completions per time-to-completion bucket (events.ts, DURATION_BUCKETS). */
  durations: number[];
}

/** What the counters of a range say, grouped for the pages and the open data. */
export interface UsageReport {
  services: ServiceUse[];
  bodies: BodyUse[];
  logins: LoginRow[];
  searches: { found: number; none: number };
  procedures: ProcedureRow[];
  pages: { procedure: string; page: string; count: number }[];
  consents: { body: string; service: string; given: number; revoked: number }[];
  steps: { procedure: string; body: string; step: string; status: string; count: number }[];
  /** Steps completed per time-to-complete bucket (events.ts, DURATION_BUCKETS). */
  stepTimes: { procedure: string; body: string; step: string; bucket: number; count: number }[];
  deadLetters: { body: string; endpoint: string; count: number }[];
  /** Requests to the public-relations office (URP) per competent body. */
  urp: { body: string; received: number; overdue: number; answered: number; durations: number[] }[];
}

const entry = <T>(map: Map<string, T>, key: string, make: () => T): T => {
  let value = map.get(key);
  if (!value) map.set(key, (value = make()));
  return value;
};

/** Groups counter fields (events.ts, counterField) into the report's tables, largest first. */
export function buildReport(counts: ReadonlyMap<string, number>): UsageReport {
  const services = new Map<string, ServiceUse>();
  const bodies = new Map<string, BodyUse>();
  const logins = new Map<string, LoginRow>();
  const procedures = new Map<string, ProcedureRow>();
  const consents = new Map<string, UsageReport['consents'][number]>();
  const report: UsageReport = {
    services: [],
    bodies: [],
    logins: [],
    searches: { found: 0, none: 0 },
    procedures: [],
    pages: [],
    consents: [],
    steps: [],
    stepTimes: [],
    deadLetters: [],
    urp: [],
  };
  const urp = new Map<string, UsageReport['urp'][number]>();
  const procedure = (id: string) =>
    entry(procedures, id, () => ({
      procedure: id,
      started: 0,
      confirmed: 0,
      completed: 0,
      closed: 0,
      durations: Array<number>(DURATION_BUCKETS.length + 1).fill(0),
    }));
  for (const [field, n] of counts) {
    const [kind, a = '-', b = '-', c = '-', d = '-'] = field.split('|');
    switch (kind) {
      case 'sheet':
      case 'deeplink':
      case 'sso': {
        const service = entry(services, `${a}|${b}`, () => ({
          service: b,
          body: a,
          sheet: 0,
          deeplink: 0,
          sso: 0,
          total: 0,
        }));
        const body = entry(bodies, a, () => ({ body: a, sheet: 0, deeplink: 0, sso: 0, total: 0 }));
        service[kind] += n;
        service.total += n;
        body[kind] += n;
        body.total += n;
        break;
      }
      case 'login': {
        const row = entry(logins, `${a}|${b}`, () => ({ provider: a, level: b, success: 0, failure: 0 }));
        if (c === 'success' || c === 'failure') row[c] += n;
        break;
      }
      case 'search':
        report.searches[a === 'none' ? 'none' : 'found'] += n;
        break;
      case 'procedure':
        if (b === 'started' || b === 'confirmed') procedure(a)[b] += n;
        break;
      case 'procedure-end': {
        const row = procedure(a);
        if (b === 'completed' || b === 'closed') row[b] += n;
        const bucket = Number(c);
        if (b === 'completed' && Number.isInteger(bucket) && row.durations[bucket] !== undefined)
          row.durations[bucket] += n;
        break;
      }
      case 'procedure-page':
        report.pages.push({ procedure: a, page: b, count: n });
        break;
      case 'consent': {
        const row = entry(consents, `${a}|${b}`, () => ({ body: a, service: b, given: 0, revoked: 0 }));
        if (c === 'given' || c === 'revoked') row[c] += n;
        break;
      }
      case 'step':
        report.steps.push({ procedure: a, body: b, step: c, status: d, count: n });
        break;
      case 'urp': {
        const row = entry(urp, a, () => ({
          body: a,
          received: 0,
          overdue: 0,
          answered: 0,
          durations: Array<number>(DURATION_BUCKETS.length + 1).fill(0),
        }));
        if (b === 'received' || b === 'overdue') row[b] += n;
        if (b === 'answered') {
          row.answered += n;
          const seen = row.durations[Number(c)];
          if (seen !== undefined) row.durations[Number(c)] = seen + n;
        }
        break;
      }
      case 'step-time':
        if (Number.isInteger(Number(d)))
          report.stepTimes.push({ procedure: a, body: b, step: c, bucket: Number(d), count: n });
        break;
      case 'delivery':
        if (c === 'dead-letter') report.deadLetters.push({ body: a, endpoint: b, count: n });
        break;
    }
  }
  report.services = [...services.values()].sort(
    (x, y) => y.total - x.total || x.service.localeCompare(y.service),
  );
  report.bodies = [...bodies.values()].sort((x, y) => y.total - x.total || x.body.localeCompare(y.body));
  report.logins = [...logins.values()].sort(
    (x, y) => y.success - x.success || x.provider.localeCompare(y.provider),
  );
  report.procedures = [...procedures.values()].sort((x, y) => y.completed - x.completed);
  report.consents = [...consents.values()].sort((x, y) => y.given - x.given);
  report.pages.sort((x, y) => x.procedure.localeCompare(y.procedure) || y.count - x.count);
  report.steps.sort((x, y) => x.procedure.localeCompare(y.procedure) || y.count - x.count);
  report.deadLetters.sort((x, y) => y.count - x.count);
  report.urp = [...urp.values()].sort((x, y) => y.received - x.received);
  return report;
}

/**
 * The bucket holding the median time to completion (an index into DURATION_BUCKETS, the last one
 * open), or undefined below the threshold: the counters keep buckets, not single durations.
 */
export function medianBucket(durations: readonly number[], threshold: number): number | undefined {
  const total = durations.reduce((sum, n) => sum + n, 0);
  if (total < threshold) return undefined;
  let seen = 0;
  for (const [i, n] of durations.entries()) {
    seen += n;
    if (seen * 2 >= total) return i;
  }
  return undefined;
}

/** A body's procedure steps: how many reached each state, and the median time to complete (a bucket). */
export function stepRows(report: UsageReport, body: string, threshold: number) {
  const rows = new Map<
    string,
    { procedure: string; step: string; statuses: Record<string, number>; durations: number[] }
  >();
  const row = (procedure: string, step: string) =>
    entry(rows, `${procedure}|${step}`, () => ({
      procedure,
      step,
      statuses: {} as Record<string, number>,
      durations: Array<number>(DURATION_BUCKETS.length + 1).fill(0),
    }));
  for (const s of report.steps)
    if (s.body === body) {
      const r = row(s.procedure, s.step);
      r.statuses[s.status] = (r.statuses[s.status] ?? 0) + s.count;
    }
  for (const s of report.stepTimes)
    if (s.body === body) {
      const r = row(s.procedure, s.step);
      const seen = r.durations[s.bucket];
      if (seen !== undefined) r.durations[s.bucket] = seen + s.count;
    }
  return [...rows.values()].map((r) => ({
    procedure: r.procedure,
    step: r.step,
    delivered: r.statuses.delivered ?? 0,
    completed: r.statuses.completed ?? 0,
    rejected: r.statuses.rejected ?? 0,
    median: medianBucket(r.durations, threshold),
  }));
}
