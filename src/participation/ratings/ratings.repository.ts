import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../../platform/redis.ts';
import {
  STARS,
  SUBJECT_KINDS,
  type RatingRecord,
  type Stars,
  type Subject,
  type SubjectKind,
} from './model.ts';

/** A summary of ratings: how many, their average, the stars' distribution, the reasons, month by month. */
export interface RatingSummary {
  count: number;
  /** The stars added up (what averages of several summaries are computed from). */
  sum: number;
  /** One decimal; 0 when there are none. */
  average: number;
  /** How many gave 1, 2, 3, 4 and 5 stars. */
  distribution: number[];
  /** "good:clear", "bad:technicalProblems"… → how many chose it. */
  reasons: Record<string, number>;
  /** Oldest first: "2026-12" → count, sum and average. */
  months: { month: string; count: number; sum: number; average: number }[];
}

const storedRating = z.object({
  id: z.string(),
  kind: z.enum(SUBJECT_KINDS),
  subject: z.string(),
  body: z.string().optional(),
  stars: z.union(STARS.map((s) => z.literal(s)) as [z.ZodLiteral<Stars>, ...z.ZodLiteral<Stars>[]]),
  reasons: z.array(z.string()),
  comment: z.string(),
  day: z.iso.date(),
});

const round1 = (value: number) => Math.round(value * 10) / 10;

/** The days since 1970-01-01 of a calendar day: the list's order, no finer than the day. */
const dayNumber = (day: string) => Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000);

/** A hash of counters as a summary. */
export function summaryOf(fields: Record<string, string>): RatingSummary {
  const count = Number(fields.n ?? 0);
  const sum = Number(fields.sum ?? 0);
  const reasons: Record<string, number> = {};
  const months = new Map<string, { count: number; sum: number }>();
  for (const [field, raw] of Object.entries(fields)) {
    const value = Number(raw);
    if (field.startsWith('r:') && value > 0) reasons[field.slice(2)] = value;
    const month = /^m:(\d{4}-\d{2}):(n|sum)$/.exec(field);
    if (month) {
      const entry = months.get(month[1] as string) ?? { count: 0, sum: 0 };
      entry[month[2] === 'n' ? 'count' : 'sum'] = value;
      months.set(month[1] as string, entry);
    }
  }
  return {
    count,
    sum,
    average: count > 0 ? round1(sum / count) : 0,
    distribution: STARS.map((s) => Number(fields[`s${s}`] ?? 0)),
    reasons,
    months: [...months.entries()]
      .filter(([, m]) => m.count > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([month, m]) => ({ month, count: m.count, sum: m.sum, average: round1(m.sum / m.count) })),
  };
}

/** Adds two summaries (a network's from its bodies'). */
export function addSummaries(a: RatingSummary, b: RatingSummary): RatingSummary {
  const count = a.count + b.count;
  const sum = a.sum + b.sum;
  const reasons = { ...a.reasons };
  for (const [k, v] of Object.entries(b.reasons)) reasons[k] = (reasons[k] ?? 0) + v;
  const months = new Map(a.months.map((m) => [m.month, { ...m }]));
  for (const m of b.months) {
    const mine = months.get(m.month) ?? { month: m.month, count: 0, sum: 0, average: 0 };
    const n = mine.count + m.count;
    const total = mine.sum + m.sum;
    months.set(m.month, { month: m.month, count: n, sum: total, average: round1(total / n) });
  }
  return {
    count,
    sum,
    average: count > 0 ? round1(sum / count) : 0,
    distribution: a.distribution.map((d, i) => d + (b.distribution[i] ?? 0)),
    reasons,
    months: [...months.values()].sort((x, y) => x.month.localeCompare(y.month)),
  };
}

export const emptySummary = (): RatingSummary => summaryOf({});

/** The counters one rating adds to a summary (negated when it is taken back). */
function counters(rating: RatingRecord, sign: 1 | -1): Map<string, number> {
  const month = rating.day.slice(0, 7);
  const band = rating.stars >= 4 ? 'good' : 'bad';
  const out = new Map<string, number>([
    ['n', sign],
    ['sum', sign * rating.stars],
    [`s${rating.stars}`, sign],
    [`m:${month}:n`, sign],
    [`m:${month}:sum`, sign * rating.stars],
  ]);
  for (const reason of rating.reasons) out.set(`r:${band}:${reason}`, sign);
  return out;
}

/**
 * The ratings as bodies see them, with no citizen in them. Everything of one body shares its hash tag,
 * so a rating and every counter it moves are written in one transaction on one Cluster slot:
 *   ratings:{b:<ipa>}:rating:<id>              JSON: kind, subject, stars, reasons, screened comment, day
 *   ratings:{b:<ipa>}:list                     sorted set: rating id → day number (newest last)
 *   ratings:{b:<ipa>}:summary:<kind>           hash of counters: the body's ratings of that kind
 *   ratings:{b:<ipa>}:summary:<kind>:<subject> hash of counters: one service's, one sheet's
 * The network's own procedures are under the tag {network} the same way. Counters: n, sum, s1…s5,
 * r:<good|bad>:<reason>, m:<YYYY-MM>:n and m:<YYYY-MM>:sum; a sheet reads one hash (O(1)).
 * A rating is kept `keepDays` after its day (it expires, and leaves the list at the body's next rating);
 * the counters it moved stay.
 */
export function createRatingStore(redis: RedisConnection, options: { keepDays: number }) {
  const { client } = redis;
  const tag = (body: string | undefined) => (body ? `{b:${body}}` : '{network}');
  const base = (body: string | undefined) => `${redis.prefix}ratings:${tag(body)}:`;
  const ratingKey = (body: string | undefined, id: string) => `${base(body)}rating:${id}`;
  const listKey = (body: string | undefined) => `${base(body)}list`;
  const totalKey = (body: string | undefined, kind: SubjectKind) => `${base(body)}summary:${kind}`;
  const subjectKey = (s: Subject) => `${base(s.body)}summary:${s.kind}:${s.id}`;

  async function get(body: string | undefined, id: string): Promise<RatingRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{22}$/.test(id)) return undefined;
    const raw = await client.get(ratingKey(body, id));
    const parsed = raw ? storedRating.safeParse(JSON.parse(raw)) : undefined;
    return parsed?.success ? parsed.data : undefined;
  }

  return {
    newId: () => randomBytes(16).toString('base64url'),
    get,

    /** Stores a rating, new or changed (`previous` is what it replaces), and moves its counters. */
    async save(rating: RatingRecord, previous?: RatingRecord): Promise<void> {
      const deltas = counters(rating, 1);
      if (previous)
        for (const [field, value] of counters(previous, -1))
          deltas.set(field, (deltas.get(field) ?? 0) + value);
      const subject = subjectKey({ kind: rating.kind, id: rating.subject, body: rating.body });
      const total = totalKey(rating.body, rating.kind);
      const day = dayNumber(rating.day);
      // Kept until the end of its last day; a changed rating keeps its first day.
      const until = (day + options.keepDays + 1) * 86_400;
      const multi = client
        .multi()
        .set(ratingKey(rating.body, rating.id), JSON.stringify(rating), {
          expiration: { type: 'EXAT', value: until },
        })
        .zRemRangeByScore(listKey(rating.body), '-inf', day - options.keepDays - 1);
      if (!previous) multi.zAdd(listKey(rating.body), { score: day, value: rating.id });
      for (const [field, value] of deltas) {
        if (value === 0) continue;
        multi.hIncrBy(subject, field, value).hIncrBy(total, field, value);
      }
      await multi.exec();
    },

    /** One subject's summary: one read of one hash. */
    async summary(subject: Subject): Promise<RatingSummary> {
      return summaryOf(await client.hGetAll(subjectKey(subject)));
    },

    /** A body's (or, without one, the network's procedures') summary of one kind. */
    async total(body: string | undefined, kind: SubjectKind): Promise<RatingSummary> {
      return summaryOf(await client.hGetAll(totalKey(body, kind)));
    },

    /** A body's latest ratings, newest first. */
    async latest(body: string | undefined, limit = 100): Promise<RatingRecord[]> {
      const ids = await client.zRange(listKey(body), 0, limit - 1, { REV: true });
      const found = await Promise.all(ids.map((id) => get(body, id)));
      return found.filter((r): r is RatingRecord => r !== undefined);
    },
  };
}

export type RatingStore = ReturnType<typeof createRatingStore>;
