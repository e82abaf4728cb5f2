import Holidays from 'date-holidays';
import type { Language } from '../platform/i18n.ts';
import type { Body, MaintenanceWindow, Service, SpecialDay } from './model.ts';
import { parseOpeningHours } from './opening-hours.ts';

/**
 * When a desk is open, on the network's clock (Europe/Rome): its weekly hours, except on Italy's public
 * holidays, on the town's patron day and on the special days its body declares (closures and other
 * hours). Everything is worked out on local calendar dates and wall-clock minutes, so a daylight-saving
 * change moves nothing: "08:30" is 08:30 in Rome on either side of it.
 */

export const NETWORK_TIME_ZONE = 'Europe/Rome';

/** A day as the calendar gives it: YYYY-MM-DD, and its weekday (0 Monday … 6 Sunday). */
export interface LocalDay {
  date: string;
  weekday: number;
}

/** A moment on the network's clock. */
export interface LocalMoment extends LocalDay {
  minutes: number;
}

/** An opening in minutes after local midnight, closing after opening (24:00 is 1440). */
interface Interval {
  opens: number;
  closes: number;
}

/** What makes a day other than its weekday's hours. */
export type DayReason = { kind: 'holiday'; name: string } | { kind: 'patron' } | { kind: 'special' };

export interface DeskCalendar {
  weekly: readonly string[];
  specialDays: readonly SpecialDay[];
  /** MM-DD: the patron saint's day of the town, when its offices close. */
  patronDay?: string | undefined;
}

/** The calendar of a desk with these weekly hours, run by this body (its closures, its town's patron). */
export function deskCalendar(weekly: readonly string[], body: Body | undefined): DeskCalendar {
  return { weekly, specialDays: body?.office?.specialDays ?? [], patronDay: body?.office?.patronDay };
}

const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: NETWORK_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** The network's wall clock at an instant. */
export function localMoment(instant: Date): LocalMoment {
  const parts = partsFormat.formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  const date = `${part('year')}-${part('month')}-${part('day')}`;
  return { ...dayOf(date), minutes: Number(part('hour')) * 60 + Number(part('minute')) };
}

/** A calendar date with its weekday (dates are pure calendar days here, reckoned in UTC). */
export function dayOf(date: string): LocalDay {
  const weekday = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
  return { date, weekday };
}

export function addDays(date: string, days: number): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + days);
  return next.toISOString().slice(0, 10);
}

/**
 * The instant of a wall-clock time in Rome. The offset is read at the instant guessed from it, then
 * once more: right across a change, a time that does not exist (02:30 on the spring night) lands an hour
 * later, and one that exists twice (02:30 in October) is its first occurrence.
 */
export function romeInstant(date: string, time: string): Date {
  const asUtc = Date.parse(`${date}T${time}:00Z`);
  // Date.parse rolls 30 February over into March: a date that does not exist gives no instant.
  if (Number.isNaN(asUtc) || new Date(asUtc - (time === '24:00' ? 1 : 0)).toISOString().slice(0, 10) !== date)
    return new Date(Number.NaN);
  const offsetAt = (instant: number) => {
    const m = localMoment(new Date(instant));
    const wall = Date.parse(`${m.date}T00:00:00Z`) + m.minutes * 60_000;
    return wall - Math.floor(instant / 60_000) * 60_000;
  };
  const first = asUtc - offsetAt(asUtc);
  return new Date(asUtc - offsetAt(first));
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const WEEK = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];

/** The intervals of a weekly schedule on one weekday, in order. */
function weeklyIntervals(weekly: readonly string[], weekday: number): Interval[] {
  const out: Interval[] = [];
  for (const spec of weekly) {
    const parsed = parseOpeningHours(spec);
    if (!parsed) continue;
    const covers = parsed.groups.some((g) => {
      const from = WEEK.indexOf(g.from);
      const to = WEEK.indexOf(g.to);
      return from <= to ? weekday >= from && weekday <= to : weekday >= from || weekday <= to;
    });
    if (covers) out.push({ opens: toMinutes(parsed.opens), closes: toMinutes(parsed.closes) });
  }
  return out.filter((i) => i.closes > i.opens).sort((a, b) => a.opens - b.opens);
}

// One calendar of public holidays per language, kept for the process (the data is the library's).
const holidayCalendars = new Map<Language, Holidays>();
const holidayNames = new Map<string, Map<string, string>>();

/**
 * Italy's public holidays of a year, by date, named in a language. The law changes them (4 October came
 * back in 2026), so they come from date-holidays' maintained data rather than a table kept here.
 */
function publicHolidays(year: number, lang: Language): Map<string, string> {
  const key = `${year}:${lang}`;
  let byDate = holidayNames.get(key);
  if (!byDate) {
    let calendar = holidayCalendars.get(lang);
    if (!calendar) {
      calendar = new Holidays('IT', { languages: [lang], types: ['public'] });
      holidayCalendars.set(lang, calendar);
    }
    byDate = new Map(
      calendar
        .getHolidays(year, lang)
        .filter((h) => h.type === 'public')
        .map((h) => [h.date.slice(0, 10), h.name]),
    );
    holidayNames.set(key, byDate);
  }
  return byDate;
}

export interface DayHours {
  intervals: Interval[];
  reason?: DayReason;
}

/** The hours of one day: a declared special day first, then a holiday or the patron day, else the week. */
export function hoursOn(calendar: DeskCalendar, day: LocalDay, lang: Language): DayHours {
  const special = calendar.specialDays.find((s) => s.from <= day.date && day.date <= (s.to ?? s.from));
  if (special) {
    const intervals = special.hours
      .map((h) => ({ opens: toMinutes(h.slice(0, 5)), closes: toMinutes(h.slice(6, 11)) }))
      .sort((a, b) => a.opens - b.opens);
    return { intervals, reason: { kind: 'special' } };
  }
  const holiday = publicHolidays(Number(day.date.slice(0, 4)), lang).get(day.date);
  if (holiday) return { intervals: [], reason: { kind: 'holiday', name: holiday } };
  if (calendar.patronDay && day.date.slice(5) === calendar.patronDay)
    return { intervals: [], reason: { kind: 'patron' } };
  return { intervals: weeklyIntervals(calendar.weekly, day.weekday) };
}

/** How far ahead the next opening is looked for: past a long summer closure, not forever. */
const LOOKAHEAD_DAYS = 62;

export type OpenState =
  | { open: true; closesAt: string }
  | {
      open: false;
      /** Why the desk is closed today, when it is not the weekly hours. */
      today?: DayReason;
      next?: { date: string; daysAhead: number; weekday: number; opensAt: string };
    };

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Whether a desk with weekly hours is open at a moment, and until when, or when it opens next. */
export function openState(calendar: DeskCalendar, now: LocalMoment, lang: Language): OpenState {
  const today = hoursOn(calendar, now, lang);
  const current = today.intervals.find((i) => i.opens <= now.minutes && now.minutes < i.closes);
  if (current) {
    // Opening hours that meet (08:00-13:00, 13:00-18:00) are one stretch to a citizen.
    let closes = current.closes;
    for (const i of today.intervals) if (i.opens <= closes && i.closes > closes) closes = i.closes;
    return { open: true, closesAt: hhmm(closes) };
  }
  const laterToday = today.intervals.find((i) => i.opens > now.minutes);
  // A reason is given for a day without any opening; a special day with other hours just has them.
  const closedAllDay = today.intervals.length === 0 && today.reason;
  const base = { open: false as const, ...(closedAllDay && { today: closedAllDay }) };
  if (laterToday)
    return {
      ...base,
      next: { date: now.date, daysAhead: 0, weekday: now.weekday, opensAt: hhmm(laterToday.opens) },
    };
  for (let ahead = 1; ahead <= LOOKAHEAD_DAYS; ahead++) {
    const day = dayOf(addDays(now.date, ahead));
    const first = hoursOn(calendar, day, lang).intervals[0];
    if (first) return { ...base, next: { ...day, daysAhead: ahead, opensAt: hhmm(first.opens) } };
  }
  return base;
}

/** Whether the desk opens at all on a day. */
export function opensOn(calendar: DeskCalendar, day: LocalDay, lang: Language): boolean {
  return hoursOn(calendar, day, lang).intervals.length > 0;
}

/** The maintenance window a service is in at an instant, if any. */
export function maintenanceAt(
  windows: readonly MaintenanceWindow[],
  instant: Date,
): MaintenanceWindow | undefined {
  const at = instant.getTime();
  return windows.find((w) => Date.parse(w.from) <= at && at < Date.parse(w.to));
}

/** The windows still to come or under way at an instant, soonest first. */
export function upcomingMaintenance(
  windows: readonly MaintenanceWindow[],
  instant: Date,
): MaintenanceWindow[] {
  const at = instant.getTime();
  return windows.filter((w) => Date.parse(w.to) > at).sort((a, b) => Date.parse(a.from) - Date.parse(b.from));
}

/** Whether a service with an online channel and no maintenance under way can be used online now. */
export function onlineNow(service: Service, instant: Date): boolean {
  return service.channels.includes('online') && !maintenanceAt(service.availability.maintenance, instant);
}
