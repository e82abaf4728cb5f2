/**
 * What modules report to the statistics. Every dimension is a code of the catalog or of the gateway
 * (a provider, a body's IPA code, a service or procedure id, a page id, an outcome): nothing that
 * names or traces a citizen. The one exception, a search visitor, is turned into a daily-rotated
 * keyed hash before anything is kept (stats.recorder.ts) and only feeds a HyperLogLog.
 */
export type StatsEvent =
  | { kind: 'login'; provider: string; level: number | undefined; outcome: 'success' | 'failure' }
  | { kind: 'search'; zeroResults: false }
  | { kind: 'search'; zeroResults: true; term?: string | undefined; visitor: string }
  | { kind: 'sheet'; service: string; body: string }
  | { kind: 'deeplink'; service: string; body: string }
  | { kind: 'sso'; service: string; body: string }
  | { kind: 'consent'; service: string; body: string; change: 'given' | 'revoked' }
  | { kind: 'procedure'; procedure: string; stage: 'started' | 'confirmed' }
  | { kind: 'procedure-page'; procedure: string; page: string }
  | { kind: 'procedure-end'; procedure: string; outcome: 'completed' | 'closed'; seconds: number }
  | { kind: 'step'; procedure: string; body: string; step: string; status: string }
  | { kind: 'step-time'; procedure: string; body: string; step: string; seconds: number }
  | { kind: 'delivery'; body: string; endpoint: string; outcome: 'dead-letter' }
  | { kind: 'urp'; body: string; stage: 'received' | 'overdue' }
  | { kind: 'urp'; body: string; stage: 'answered'; seconds: number };

export type RecordEvent = (event: StatsEvent) => void;

/** Upper bounds (seconds) of the time-to-completion buckets; the last bucket is open. */
export const DURATION_BUCKETS = [3600, 6 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400];

export function durationBucket(seconds: number): number {
  const index = DURATION_BUCKETS.findIndex((limit) => seconds <= limit);
  return index < 0 ? DURATION_BUCKETS.length : index;
}

/** A dimension as it may appear in a counter's field: no separator, no spaces, bounded. */
const clean = (value: unknown) =>
  String(value ?? '-')
    .replace(/[|\s]/g, '_')
    .slice(0, 100) || '-';

/**
 * The counter field an event adds to: its kind and dimensions joined by "|" (searches that found
 * nothing also feed the terms' counters, see stats.recorder.ts).
 */
export function counterField(event: StatsEvent): string {
  const parts: unknown[] = (() => {
    switch (event.kind) {
      case 'login':
        return [event.provider, event.level ?? '-', event.outcome];
      case 'search':
        return [event.zeroResults ? 'none' : 'found'];
      case 'sheet':
      case 'deeplink':
      case 'sso':
        return [event.body, event.service];
      case 'consent':
        return [event.body, event.service, event.change];
      case 'procedure':
        return [event.procedure, event.stage];
      case 'procedure-page':
        return [event.procedure, event.page];
      case 'procedure-end':
        return [event.procedure, event.outcome, durationBucket(event.seconds)];
      case 'step':
        return [event.procedure, event.body, event.step, event.status];
      case 'step-time':
        return [event.procedure, event.body, event.step, durationBucket(event.seconds)];
      case 'delivery':
        return [event.body, event.endpoint, event.outcome];
      case 'urp':
        return event.stage === 'answered'
          ? [event.body, event.stage, durationBucket(event.seconds)]
          : [event.body, event.stage];
    }
  })();
  return [event.kind, ...parts].map(clean).join('|');
}

/** Kinds counted per hour by kind alone: per service or page they would multiply a day's hours by the catalog. */
const HOURLY_BY_KIND = new Set<StatsEvent['kind']>([
  'sheet',
  'deeplink',
  'sso',
  'consent',
  'procedure-page',
  'step',
  'step-time',
]);

/** The field an event adds to in its hour's counters: the whole field, or its kind alone. */
export function hourlyField(event: StatsEvent, field: string): string {
  return HOURLY_BY_KIND.has(event.kind) ? event.kind : field;
}

/**
 * A search term as counted: lower case, accents and punctuation dropped, spaces collapsed, at most 60
 * characters; undefined when it could be personal data (an e-mail address, a long number, a fiscal
 * code), which is never kept.
 */
export function normaliseTerm(raw: string): string | undefined {
  if (/@/.test(raw) || /\d{5,}/.test(raw.replace(/\s/g, ''))) return undefined;
  if (/[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]/i.test(raw.replace(/\s/g, ''))) return undefined;
  const term = raw
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLocaleLowerCase('it')
    .replace(/[^\p{L}\p{N} ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60);
  return term.length >= 2 ? term : undefined;
}
