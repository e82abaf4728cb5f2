import { z } from 'zod';
import { parseInput } from '../catalog/validation.ts';
import type { DayRange } from './stats.reader.ts';

const DAY_MS = 86_400_000;
/** The longest range a page reads: a year (leap years included). */
export const MAX_RANGE_DAYS = 366;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const day = z.iso.date('a date as YYYY-MM-DD');

/**
 * The range a statistics page shows, from its query (`from`, `to`, as YYYY-MM-DD): by default the last
 * 30 days. A malformed date, a range backwards, ending after today or longer than a year is refused
 * (400) with what is wrong.
 */
export function parseRange(query: Record<string, unknown>, now = new Date()): DayRange {
  const today = isoDay(now.getTime());
  const schema = z
    .strictObject({
      from: day.default(isoDay(now.getTime() - 29 * DAY_MS)),
      to: day.default(today),
    })
    .refine((r) => r.from <= r.to, { message: 'the range ends before it starts', path: ['to'] })
    .refine((r) => r.to <= today, { message: 'the range ends after today', path: ['to'] })
    .refine((r) => (Date.parse(r.to) - Date.parse(r.from)) / DAY_MS < MAX_RANGE_DAYS, {
      message: `a range is at most ${MAX_RANGE_DAYS} days`,
      path: ['from'],
    });
  const present = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== '' && v !== undefined));
  return parseInput(schema, present, 400);
}

/**
 * A month of the open data (YYYY-MM): undefined when malformed (400), `gone` when in the future or older
 * than what is kept (404).
 */
export function parseMonth(
  raw: string,
  keptMonths: number,
  now = new Date(),
): { month: string; range: DayRange } | 'malformed' | 'gone' {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(raw);
  if (!match) return 'malformed';
  const [year, month] = [Number(match[1]), Number(match[2])];
  const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
  const asked = year * 12 + month - 1;
  if (asked > current || current - asked > keptMonths) return 'gone';
  const from = `${raw}-01`;
  const last = isoDay(Date.UTC(year, month, 1) - DAY_MS);
  return { month: raw, range: { from, to: last } };
}

/** The latest `count` months, newest first (YYYY-MM). */
export function latestMonths(count: number, now = new Date()): string[] {
  return Array.from({ length: count }, (_, i) =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1)).toISOString().slice(0, 7),
  );
}

/**
 * A range whose ends lie before the days still kept (`dailyRetentionDays`) widened to whole months, which
 * the monthly rollups still hold: the page then shows the period actually counted.
 */
export function alignToKeptDays(range: DayRange, dailyRetentionDays: number, now = new Date()): DayRange {
  const oldestDay = isoDay(now.getTime() - (dailyRetentionDays - 1) * DAY_MS);
  const from = range.from < oldestDay ? `${range.from.slice(0, 7)}-01` : range.from;
  if (range.to >= oldestDay) return { from, to: range.to };
  const [year, month] = range.to.split('-').map(Number) as [number, number];
  return { from, to: isoDay(Date.UTC(year, month, 1) - DAY_MS) };
}
