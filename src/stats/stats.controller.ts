import type { Request, Response } from 'express';
import { BadRequestError, NotFoundError } from '../platform/errors.ts';
import type { Language } from '../platform/i18n.ts';
import { renderPage } from '../platform/views.ts';
import { barsOf, type Chart } from './stats.charts.ts';
import { DATASET_IDS, datasetCsv, datasetJson, datasetRows, isDataset } from './stats.open-data.ts';
import { alignToKeptDays, latestMonths, parseMonth, parseRange } from './stats.range.ts';
import type { DayRange, StatsReader } from './stats.reader.ts';
import { buildReport, medianBucket, stepRows, type UsageReport } from './stats.report.ts';

type T = (key: string, options?: Record<string, unknown>) => string;

/** Names of what the counters hold by code: the catalog's bodies and services, the procedures. */
export interface StatsNames {
  bodies(lang: Language): Promise<Map<string, string>>;
  services(lang: Language): Promise<Map<string, string>>;
  procedure(id: string, lang: Language): string | undefined;
}

/** A body's ratings of its services, as the participation module keeps them for the open data. */
export type BodySatisfaction = (
  ipaCode: string,
) => Promise<{ months: { month: string; count: number; sum: number }[] }>;

/** Delivery jobs per endpoint, by state (the delivery queues'). */
export type EndpointHealth = () => Promise<
  { bodyIpa: string; endpointId: string; counts: Record<string, number> }[]
>;

const TOP = 10;
const REPORT_TTL_MS = 5000;

export function createStatsController(deps: {
  reader: StatsReader;
  names: StatsNames;
  satisfaction: BodySatisfaction;
  deliveries: EndpointHealth;
  threshold: number;
  keptMonths: number;
  keptDays: number;
  /** Throws (403) unless the logged-in person edits the body named in the URL; returns its code. */
  editableBody: (
    req: Request,
    ipaCode: string,
  ) => Promise<{ ipaCode: string; name: Record<Language, string> }>;
}) {
  const { threshold } = deps;
  const langOf = (res: Response) => res.locals.lang as Language;
  const tOf = (res: Response) => res.locals.t as T;

  const rangeOf = (req: Request) =>
    alignToKeptDays(parseRange(req.query as Record<string, unknown>), deps.keptDays);

  // A range's report is built once per few seconds, however many people look at it: the figures of a
  // busy dashboard are then at most REPORT_TTL_MS old (this instance's own flushes make them fresh).
  const reports = new Map<string, { at: number; report: Promise<UsageReport> }>();
  function loadReport(range: DayRange): Promise<UsageReport> {
    const key = `${range.from}|${range.to}|${deps.reader.generation()}`;
    const found = reports.get(key);
    if (found && Date.now() - found.at < REPORT_TTL_MS) return found.report;
    if (reports.size >= 32) reports.clear();
    const report = deps.reader.counts(range).then(buildReport);
    report.catch(() => reports.delete(key));
    reports.set(key, { at: Date.now(), report });
    return report;
  }

  /** The charts every audience sees (the editors' filtered to their body). */
  async function commonCharts(report: UsageReport, lang: Language, t: T, body?: string): Promise<Chart[]> {
    const format = (n: number) => n.toLocaleString(lang);
    const [bodyNames, serviceNames] = await Promise.all([deps.names.bodies(lang), deps.names.services(lang)]);
    const bodyName = (ipa: string) => bodyNames.get(ipa) ?? ipa;
    const serviceName = (id: string) => serviceNames.get(id) ?? id;
    const shown = (n: number) => (n < threshold ? `< ${threshold}` : format(n));
    const services = report.services.filter((s) => !body || s.body === body).slice(0, TOP);
    const charts: Chart[] = [];
    const top = services[0];
    charts.push({
      id: 'services',
      title: t('stats.charts.services.title'),
      summary:
        top && top.total >= threshold
          ? t('stats.charts.services.summary', { name: serviceName(top.service), count: format(top.total) })
          : t('stats.charts.none', { threshold }),
      bars: barsOf(
        services.map((s) => ({ label: serviceName(s.service), value: s.total })),
        threshold,
        format,
      ),
      table: {
        headers: ['service', 'body', 'sheet', 'deeplink', 'sso', 'total'].map((h) => t(`stats.columns.${h}`)),
        rows: services.map((s) => [
          serviceName(s.service),
          bodyName(s.body),
          shown(s.sheet),
          shown(s.deeplink),
          shown(s.sso),
          shown(s.total),
        ]),
      },
    });
    if (!body) {
      const bodies = report.bodies.slice(0, TOP);
      const first = bodies[0];
      charts.push({
        id: 'bodies',
        title: t('stats.charts.bodies.title'),
        summary:
          first && first.total >= threshold
            ? t('stats.charts.bodies.summary', { name: bodyName(first.body), count: format(first.total) })
            : t('stats.charts.none', { threshold }),
        bars: barsOf(
          bodies.map((b) => ({ label: bodyName(b.body), value: b.total })),
          threshold,
          format,
        ),
        table: {
          headers: ['body', 'sheet', 'deeplink', 'sso', 'total'].map((h) => t(`stats.columns.${h}`)),
          rows: bodies.map((b) => [
            bodyName(b.body),
            shown(b.sheet),
            shown(b.deeplink),
            shown(b.sso),
            shown(b.total),
          ]),
        },
      });
      const providerName = (p: string) => (p === 'spid' ? 'SPID' : p === 'cie' ? 'CIE' : p);
      const logins = report.logins.filter((l) => l.success > 0);
      const total = logins.reduce((sum, l) => sum + l.success, 0);
      charts.push({
        id: 'logins',
        title: t('stats.charts.logins.title'),
        summary:
          total >= threshold
            ? t('stats.charts.logins.summary', { count: format(total) })
            : t('stats.charts.none', { threshold }),
        bars: barsOf(
          logins.map((l) => ({
            label: `${providerName(l.provider)} · ${t('stats.level', { level: l.level })}`,
            value: l.success,
          })),
          threshold,
          format,
        ),
        table: {
          headers: ['provider', 'level', 'logins'].map((h) => t(`stats.columns.${h}`)),
          rows: logins.map((l) => [providerName(l.provider), l.level, shown(l.success)]),
        },
      });
    }
    const procedures = report.procedures.filter(
      (p) => !body || report.steps.some((s) => s.procedure === p.procedure && s.body === body),
    );
    const procedureName = (id: string) => deps.names.procedure(id, lang) ?? id;
    const completed = procedures.reduce((sum, p) => sum + p.completed, 0);
    charts.push({
      id: 'procedures',
      title: t('stats.charts.procedures.title'),
      summary:
        completed >= threshold
          ? t('stats.charts.procedures.summary', { count: format(completed) })
          : t('stats.charts.none', { threshold }),
      bars: barsOf(
        procedures.map((p) => ({ label: procedureName(p.procedure), value: p.completed })),
        threshold,
        format,
      ),
      table: {
        headers: ['procedure', 'started', 'confirmed', 'completed', 'closed', 'median'].map((h) =>
          t(`stats.columns.${h}`),
        ),
        rows: procedures.map((p) => {
          const median = medianBucket(p.durations, threshold);
          return [
            procedureName(p.procedure),
            shown(p.started),
            shown(p.confirmed),
            shown(p.completed),
            shown(p.closed),
            median === undefined ? '—' : t(`stats.durations.${median}`),
          ];
        }),
      },
    });
    // The URP desk's requests, once it reports any (its listener is stats.listeners.urpMoved).
    const urp = report.urp.filter((u) => !body || u.body === body);
    if (urp.length > 0) {
      const received = urp.reduce((sum, u) => sum + u.received, 0);
      charts.push({
        id: 'urp',
        title: t('stats.charts.urp.title'),
        summary:
          received >= threshold
            ? t('stats.charts.urp.summary', { count: format(received) })
            : t('stats.charts.none', { threshold }),
        bars: barsOf(
          urp.map((u) => ({ label: bodyName(u.body), value: u.received })),
          threshold,
          format,
        ),
        table: {
          headers: ['body', 'received', 'answered', 'overdue', 'firstAnswer'].map((h) =>
            t(`stats.columns.${h}`),
          ),
          rows: urp.map((u) => {
            const median = medianBucket(u.durations, threshold);
            return [
              bodyName(u.body),
              shown(u.received),
              shown(u.answered),
              shown(u.overdue),
              median === undefined ? '—' : t(`stats.durations.${median}`),
            ];
          }),
        },
      });
    }
    return charts;
  }

  /** The last seven days' activity by hour of the day (UTC): services used, logins, searches. */
  async function hoursChart(lang: Language, t: T): Promise<Chart> {
    const days = Array.from({ length: 7 }, (_, i) =>
      new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10),
    );
    const byHour = Array.from({ length: 24 }, () => ({ uses: 0, logins: 0, searches: 0 }));
    for (const hours of await Promise.all(days.map((day) => deps.reader.hours(day))))
      for (const [field, n] of hours) {
        const [hour, kind = '', , , outcome] = field.split('|');
        const slot = byHour[Number(hour)];
        if (!slot) continue;
        if (kind === 'sheet' || kind === 'deeplink' || kind === 'sso') slot.uses += n;
        else if (kind === 'login' && outcome === 'success') slot.logins += n;
        else if (kind === 'search') slot.searches += n;
      }
    const format = (n: number) => n.toLocaleString(lang);
    const shown = (n: number) => (n < threshold ? `< ${threshold}` : format(n));
    const label = (h: number) => `${String(h).padStart(2, '0')}:00–${String(h).padStart(2, '0')}:59`;
    const busiest = byHour.reduce((best, slot, h) => (slot.uses > (byHour[best]?.uses ?? 0) ? h : best), 0);
    const total = byHour.reduce((sum, slot) => sum + slot.uses, 0);
    return {
      id: 'hours',
      title: t('stats.charts.hours.title'),
      summary:
        total >= threshold
          ? t('stats.charts.hours.summary', {
              hour: label(busiest),
              count: format(byHour[busiest]?.uses ?? 0),
            })
          : t('stats.charts.none', { threshold }),
      bars: barsOf(
        byHour.map((slot, h) => ({ label: label(h), value: slot.uses })),
        threshold,
        format,
      ),
      table: {
        headers: ['hour', 'uses', 'logins', 'searches'].map((h) => t(`stats.columns.${h}`)),
        rows: byHour.map((slot, h) => [label(h), shown(slot.uses), shown(slot.logins), shown(slot.searches)]),
      },
    };
  }

  /** Average stars of each body's services over the range's months, for bodies rated by enough people. */
  async function satisfactionChart(range: DayRange, lang: Language, t: T, only?: string): Promise<Chart> {
    const bodyNames = await deps.names.bodies(lang);
    const months = new Set(monthsOf(range));
    const rows = await Promise.all(
      [...bodyNames.keys()]
        .filter((ipa) => !only || ipa === only)
        .map(async (ipa) => {
          const summary = await deps.satisfaction(ipa);
          const inRange = summary.months.filter((m) => months.has(m.month));
          const count = inRange.reduce((sum, m) => sum + m.count, 0);
          const sum = inRange.reduce((total, m) => total + m.sum, 0);
          return { ipa, count, average: count > 0 ? Math.round((sum / count) * 10) / 10 : 0 };
        }),
    );
    const rated = rows.filter((r) => r.count >= threshold).sort((a, b) => b.average - a.average);
    const stars = (n: number) =>
      n.toLocaleString(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    return {
      id: 'satisfaction',
      title: t('stats.charts.satisfaction.title'),
      summary:
        rated.length > 0
          ? t('stats.charts.satisfaction.summary', { count: rated.length, threshold })
          : t('stats.charts.satisfaction.none', { threshold }),
      // Averages, not counts: drawn out of 5 stars, and only for bodies rated by at least `threshold`.
      bars: rated.map((r) => ({
        label: bodyNames.get(r.ipa) ?? r.ipa,
        width: r.average / 5,
        display: stars(r.average),
      })),
      table: {
        headers: ['body', 'average', 'ratings'].map((h) => t(`stats.columns.${h}`)),
        rows: rated.map((r) => [
          bodyNames.get(r.ipa) ?? r.ipa,
          stars(r.average),
          r.count.toLocaleString(lang),
        ]),
      },
    };
  }

  return {
    /** GET /statistiche?from&to — the network's use, for everyone. */
    async publicPage(req: Request, res: Response) {
      const range = rangeOf(req);
      const lang = langOf(res);
      const t = tOf(res);
      const report = await loadReport(range);
      const charts = [...(await commonCharts(report, lang, t)), await satisfactionChart(range, lang, t)];
      renderPage(req, res, 'stats/public', {
        range,
        charts,
        searches: report.searches.found + report.searches.none,
        threshold,
        datasets: DATASET_IDS,
        months: latestMonths(Math.min(12, deps.keptMonths)),
      });
    },

    /** GET /statistiche/:dataset/:file — one dataset for one month, as CSV or JSON. */
    async openData(req: Request<{ dataset: string; file: string }>, res: Response) {
      const { dataset, file } = req.params;
      const match = /^(.+)\.(csv|json)$/.exec(file);
      if (!isDataset(dataset) || !match) throw new NotFoundError('dataset_not_found');
      const month = parseMonth(match[1] as string, deps.keptMonths);
      if (month === 'malformed') throw new BadRequestError('month_invalid', 'the month is YYYY-MM');
      if (month === 'gone') throw new NotFoundError('month_not_kept');
      const rows = datasetRows(dataset, await loadReport(month.range), threshold);
      res.set('Cache-Control', 'public, max-age=300');
      if (match[2] === 'csv') {
        res.attachment(`${dataset}-${month.month}.csv`);
        res.type('text/csv; charset=utf-8').send(datasetCsv(dataset, rows));
      } else res.json(datasetJson(dataset, month.month, threshold, rows));
    },

    /** GET /admin/statistiche — everything, plus searches that found nothing and delivery health. */
    async adminPage(req: Request, res: Response) {
      const range = rangeOf(req);
      const lang = langOf(res);
      const t = tOf(res);
      const report = await loadReport(range);
      const charts = [
        await hoursChart(lang, t),
        ...(await commonCharts(report, lang, t)),
        await satisfactionChart(range, lang, t),
      ];
      const termsByMonth = await Promise.all(monthsOf(range).map((m) => deps.reader.zeroResultTerms(m)));
      const terms = new Map<string, { searches: number; visitors: number }>();
      for (const list of termsByMonth)
        for (const term of list) {
          const entry = terms.get(term.term) ?? { searches: 0, visitors: 0 };
          entry.searches += term.searches;
          // Distinct visitors per month, added up: a visitor of two months counts twice (an upper bound).
          entry.visitors += term.visitors;
          terms.set(term.term, entry);
        }
      const zeroResults = [...terms]
        .filter(([, v]) => v.visitors >= threshold)
        .map(([term, v]) => ({ term, ...v }))
        .sort((a, b) => b.searches - a.searches)
        .slice(0, 50);
      res.set('Cache-Control', 'no-store');
      renderPage(req, res, 'stats/admin', {
        range,
        charts,
        report,
        zeroResults,
        endpoints: await endpointHealth(report),
        threshold,
        bodyNames: await deps.names.bodies(lang),
      });
    },

    /** GET /editor/bodies/:ipaCode/statistiche — the body's services, procedure steps and deliveries. */
    async editorPage(req: Request<{ ipaCode: string }>, res: Response) {
      const body = await deps.editableBody(req, req.params.ipaCode);
      const range = rangeOf(req);
      const lang = langOf(res);
      const t = tOf(res);
      const report = await loadReport(range);
      const charts = [
        ...(await commonCharts(report, lang, t, body.ipaCode)),
        await satisfactionChart(range, lang, t, body.ipaCode),
      ];
      res.set('Cache-Control', 'no-store');
      renderPage(req, res, 'stats/editor', {
        body,
        range,
        charts,
        steps: stepRows(report, body.ipaCode, threshold),
        endpoints: (await endpointHealth(report)).filter((e) => e.body === body.ipaCode),
        threshold,
      });
    },
  };

  /** Per endpoint: jobs waiting, retrying, dead letters now (the queues), and dead letters in the range. */
  async function endpointHealth(report: UsageReport) {
    const now = await deps.deliveries().catch(() => []);
    return now.map((e) => ({
      body: e.bodyIpa,
      endpoint: e.endpointId,
      waiting: (e.counts.wait ?? 0) + (e.counts.active ?? 0),
      retrying: e.counts.delayed ?? 0,
      deadLetters: e.counts.failed ?? 0,
      delivered: e.counts.completed ?? 0,
      deadLettersInRange: report.deadLetters
        .filter((d) => d.body === e.bodyIpa && d.endpoint === e.endpointId)
        .reduce((sum, d) => sum + d.count, 0),
    }));
  }
}

/** The months (YYYY-MM) a range touches. */
function monthsOf(range: DayRange): string[] {
  const out: string[] = [];
  const [fy, fm] = range.from.split('-').map(Number) as [number, number];
  const [ty, tm] = range.to.split('-').map(Number) as [number, number];
  for (let y = fy, m = fm; y * 12 + m <= ty * 12 + tm; m === 12 ? ((m = 1), (y += 1)) : (m += 1))
    out.push(`${y}-${String(m).padStart(2, '0')}`);
  return out;
}

export type StatsController = ReturnType<typeof createStatsController>;
