/**
 * Opening hours as the registry stores them: schema.org `openingHours` strings ("Mo-Fr 08:30-13:00",
 * "Tu,Th 15:00-17:30"; https://schema.org/openingHours), already validated by the model. Here they are
 * read back for citizens (weekday names in their language) and for machines (schema.org
 * OpeningHoursSpecification, https://schema.org/OpeningHoursSpecification).
 */

const DAYS = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'] as const;
type Day = (typeof DAYS)[number];
const SCHEMA_DAYS: Record<Day, string> = {
  Mo: 'Monday',
  Tu: 'Tuesday',
  We: 'Wednesday',
  Th: 'Thursday',
  Fr: 'Friday',
  Sa: 'Saturday',
  Su: 'Sunday',
};

/** One group of days: a single day, or a range such as Mo-Fr. */
interface DayGroup {
  from: Day;
  to: Day;
}

export interface OpeningHours {
  groups: DayGroup[];
  opens: string;
  closes: string;
}

const isDay = (code: string): code is Day => (DAYS as readonly string[]).includes(code);

/** Parses one validated openingHours string; undefined for anything else. */
export function parseOpeningHours(spec: string): OpeningHours | undefined {
  const match = /^([A-Za-z,-]+) (\d\d:\d\d)-(\d\d:\d\d)$/.exec(spec);
  if (!match) return undefined;
  const [, days = '', opens = '', closes = ''] = match;
  const groups: DayGroup[] = [];
  for (const part of days.split(',')) {
    const [from = '', to = from, extra] = part.split('-');
    if (extra !== undefined || !isDay(from) || !isDay(to)) return undefined;
    groups.push({ from, to });
  }
  return { groups, opens, closes };
}

/** Every day a group covers, in week order (Fr-Mo wraps over the weekend). */
function daysOf(group: DayGroup): Day[] {
  const out: Day[] = [];
  for (let i = DAYS.indexOf(group.from); ; i = (i + 1) % DAYS.length) {
    out.push(DAYS[i] as Day);
    if (DAYS[i] === group.to) return out;
  }
}

const weekdayNames = new Map<string, string[]>();
/** Weekday names Monday..Sunday in a language (1 January 2024 was a Monday). */
function weekdays(lang: string): string[] {
  let names = weekdayNames.get(lang);
  if (!names) {
    const format = new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' });
    names = DAYS.map((_, i) => format.format(new Date(Date.UTC(2024, 0, 1 + i))));
    weekdayNames.set(lang, names);
  }
  return names;
}

/** "Mo-Fr 08:30-13:00" as a citizen reads it: "lunedì–venerdì, 08:30–13:00". */
export function describeOpeningHours(spec: string, lang: string): string {
  const parsed = parseOpeningHours(spec);
  if (!parsed) return spec;
  const names = weekdays(lang);
  const name = (day: Day) => names[DAYS.indexOf(day)] ?? day;
  const days = parsed.groups
    .map((g) => (g.from === g.to ? name(g.from) : `${name(g.from)}–${name(g.to)}`))
    .join(', ');
  return `${days}, ${parsed.opens}–${parsed.closes}`;
}

/** schema.org OpeningHoursSpecification of one openingHours string (no entry for an unreadable one). */
export function openingHoursSpecification(spec: string) {
  const parsed = parseOpeningHours(spec);
  if (!parsed) return [];
  return [
    {
      '@type': 'OpeningHoursSpecification',
      dayOfWeek: [...new Set(parsed.groups.flatMap(daysOf))].map(
        (d) => `https://schema.org/${SCHEMA_DAYS[d]}`,
      ),
      opens: parsed.opens,
      closes: parsed.closes,
    },
  ];
}
