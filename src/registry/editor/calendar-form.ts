import { localMoment, romeInstant } from '../../catalog/desk-calendar.ts';
import type { MaintenanceWindow, SpecialDay } from '../../catalog/model.ts';
import type { Language } from '../../platform/i18n.ts';
import { lines } from './office-form.ts';

/**
 * The editor's calendar fields as plain text, one entry per line, and back: what the registration API
 * takes as JSON (special days, the patron day, maintenance windows). A line the form cannot read is handed
 * on as it is, so the schema refuses it and the editor sees which field is wrong; nothing is dropped.
 */

const DATE = String.raw`(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})`;
const RANGE = String.raw`\d{2}:\d{2}-\d{2}:\d{2}`;
const CLOSED = /^(chiuso|closed)$/i;

/** 24/12/2026 or 2026-12-24 as 2026-12-24 (an impossible date stays impossible, for the schema). */
function isoDate(text: string): string {
  const dmy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  return dmy ? `${dmy[3]}-${dmy[2]?.padStart(2, '0')}-${dmy[1]?.padStart(2, '0')}` : text;
}

/** "2026-12-24 chiuso", "24/12/2026 09:00-12:00, 15:00-17:00", "2026-08-10/2026-08-21 chiuso". */
export function specialDaysFromText(text: string): unknown[] {
  const pattern = new RegExp(String.raw`^${DATE}(?:\s*(?:/|–|\s-\s)\s*${DATE})?\s+(.+)$`);
  return lines(text).map((line) => {
    const match = pattern.exec(line);
    if (!match) return { from: line };
    const [, from = '', to, rest = ''] = match;
    const hours = CLOSED.test(rest.trim()) ? [] : rest.split(',').map((h) => h.trim());
    if (hours.some((h) => !new RegExp(`^${RANGE}$`).test(h))) return { from: line };
    return { from: isoDate(from), ...(to && { to: isoDate(to) }), hours };
  });
}

export function specialDaysToText(days: readonly SpecialDay[], lang: Language): string {
  const closed = lang === 'it' ? 'chiuso' : 'closed';
  return days
    .map((d) => `${d.from}${d.to ? `/${d.to}` : ''} ${d.hours.length > 0 ? d.hours.join(', ') : closed}`)
    .join('\n');
}

/** "26/12" as the schema's "12-26"; anything else as it is, for the schema to refuse. */
export function patronDayFromText(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const dm = /^(\d{1,2})\/(\d{1,2})$/.exec(trimmed);
  return dm ? `${dm[2]?.padStart(2, '0')}-${dm[1]?.padStart(2, '0')}` : trimmed;
}

export const patronDayToText = (monthDay: string | undefined) =>
  monthDay ? `${monthDay.slice(3)}/${monthDay.slice(0, 2)}` : '';

/** "2026-12-20 22:00 - 2026-12-21 06:00", Rome time, as instants. */
export function maintenanceFromText(text: string): unknown[] {
  const moment = String.raw`${DATE}\s+(\d{2}:\d{2})`;
  const pattern = new RegExp(String.raw`^${moment}\s*(?:/|–|\s-\s)\s*${moment}$`);
  return lines(text).map((line) => {
    const match = pattern.exec(line);
    if (!match) return { from: line, to: line };
    const [, fromDate = '', fromTime = '', toDate = '', toTime = ''] = match;
    const instant = (date: string, time: string) => {
      const at = romeInstant(isoDate(date), time);
      return Number.isNaN(at.getTime()) ? `${date} ${time}` : at.toISOString();
    };
    return { from: instant(fromDate, fromTime), to: instant(toDate, toTime) };
  });
}

const wallClock = (iso: string) => {
  const m = localMoment(new Date(iso));
  const hh = String(Math.floor(m.minutes / 60)).padStart(2, '0');
  return `${m.date} ${hh}:${String(m.minutes % 60).padStart(2, '0')}`;
};

export function maintenanceToText(windows: readonly MaintenanceWindow[]): string {
  return windows.map((w) => `${wallClock(w.from)} - ${wallClock(w.to)}`).join('\n');
}
