import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { DataCipher } from '../../citizen/data-cipher.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import {
  ACTIONS,
  AUTHORS,
  isOpen,
  REFERENCE,
  URP_KINDS,
  URP_STATUSES,
  URP_TOPICS,
  type InternalNote,
  type HistoryEntry,
  type PublishedSuggestion,
  type ThreadMessage,
  type UrpRequest,
  type UrpStatus,
} from './model.ts';

/** What a queue can be filtered by. `due`: overdue, or due within the next 7 days (open requests only). */
export interface QueueFilter {
  status?: UrpStatus | undefined;
  kind?: string | undefined;
  topic?: string | undefined;
  due?: 'overdue' | 'week' | undefined;
}

/** A queue row: what the index and the request's plain fields say (nothing decrypted). */
export interface QueueRow {
  ref: string;
  kind: string;
  topic: string;
  status: UrpStatus;
  assigned?: string | undefined;
  filedAt: number;
  dueAt: number;
}

const WEEK_MS = 7 * 86_400_000;

/** The plain fields of a stored request (the hash); personal data are ciphertexts. */
const storedRequest = z.object({
  ref: z.string().regex(REFERENCE),
  kind: z.enum(URP_KINDS),
  topic: z.enum(URP_TOPICS),
  chosenBody: z.string(),
  assigned: z.string().optional(),
  status: z.enum(URP_STATUSES),
  filedAt: z.coerce.number(),
  dueAt: z.coerce.number(),
  deadlineDays: z.coerce.number(),
  lang: z.enum(['it', 'en']),
  channel: z.enum(['web', 'open311']),
  owner: z.string().optional(),
  email: z.string().optional(),
  text: z.string().optional(),
  address: z.string().optional(),
  lat: z.coerce.number().optional(),
  lon: z.coerce.number().optional(),
  closedAt: z.coerce.number().optional(),
  rated: z.string().optional(),
  publishable: z.string().optional(),
});
const storedPublic = z.object({ text: z.string(), answer: z.string().optional(), at: z.coerce.number() });

const storedMessage = z.object({
  at: z.number(),
  author: z.enum(AUTHORS),
  body: z.string().optional(),
  text: z.string(),
});
const storedHistory = z.object({
  at: z.number(),
  action: z.enum(ACTIONS),
  by: z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
});

/** Fields of a request that are personal data: encrypted, bound to the request and the field. */
type SecretField = 'email' | 'text' | 'address';

/**
 * The URP desk's requests in Redis. One request's keys share its hash tag, so filing it or adding to its
 * thread is one MULTI on one Cluster slot:
 *   urp:{r:<ref>}:request   hash: kind, topic, chosenBody, assigned, status, filedAt, dueAt, deadlineDays,
 *                           lang, channel, owner (citizen reference), lat, lon, closedAt, rated
 *   urp:{r:<ref>}:data      hash: email, text, address (each encrypted): expires after closing, with the
 *                           thread and the notes (retainDataSeconds)
 *   urp:{r:<ref>}:thread    list of JSON messages (text encrypted): what the requester sees
 *   urp:{r:<ref>}:notes     list of JSON internal notes (text encrypted): staff only
 *   urp:{r:<ref>}:public    hash: text, answer, at: a suggestion as the URP published it (no personal data)
 *   urp:{r:<ref>}:history   list of JSON entries: route (from, to) | answer | close, by (staff fiscal code), at
 * The queues are indexes of one scope each — the network's (`all`) and each body's (`b:<ipa>`) — under
 * the scope's tag, so a filtered page intersects sets of one slot; every set is scored by the due date:
 *   urp:{q:<scope>}:all · :open · :status:<s> · :kind:<k> · :topic:<t>
 * and the reports (the public kind, GeoReport v2) by filing time: urp:{q:open311}:reports; the
 * published suggestions by publication time: urp:{q:public}:suggestions.
 * Requests are written first and indexed after (another slot): an index is a copy that can be rebuilt.
 */
export function createUrpStore(
  redis: RedisConnection,
  cipher: DataCipher,
  options: { retainDataSeconds: number },
) {
  const { client } = redis;
  const base = `${redis.prefix}urp:`;
  const requestKey = (ref: string) => `${base}{r:${ref}}:request`;
  const dataKey = (ref: string) => `${base}{r:${ref}}:data`;
  const threadKey = (ref: string) => `${base}{r:${ref}}:thread`;
  const notesKey = (ref: string) => `${base}{r:${ref}}:notes`;
  const historyKey = (ref: string) => `${base}{r:${ref}}:history`;
  const scopeKey = (scope: string, what: string) => `${base}{q:${scope}}:${what}`;
  const context = (ref: string, field: string) => `urp:${ref}:${field}`;
  const publicKey = (ref: string) => `${base}{r:${ref}}:public`;
  /** Published suggestions by publication time: the public page's list. */
  const suggestionsKey = `${base}{q:public}:suggestions`;
  /** Reports (segnalazioni) by filing time: what the public Open311 list reads. */
  const reportsKey = `${base}{q:open311}:reports`;

  /** The index sets a request belongs to in one scope. */
  const setsOf = (scope: string, row: Pick<QueueRow, 'status' | 'kind' | 'topic'>) => [
    scopeKey(scope, 'all'),
    scopeKey(scope, `status:${row.status}`),
    scopeKey(scope, `kind:${row.kind}`),
    scopeKey(scope, `topic:${row.topic}`),
    ...(isOpen(row.status) ? [scopeKey(scope, 'open')] : []),
  ];
  const scopesOf = (assigned: string | undefined) => ['all', ...(assigned ? [`b:${assigned}`] : [])];

  async function index(row: QueueRow) {
    const multi = (scope: string) => {
      const m = client.multi();
      for (const key of setsOf(scope, row)) m.zAdd(key, { score: row.dueAt, value: row.ref });
      return m.exec();
    };
    await Promise.all(scopesOf(row.assigned).map(multi));
  }

  async function unindex(row: QueueRow) {
    const multi = (scope: string) => {
      const m = client.multi();
      for (const key of setsOf(scope, { ...row, status: 'received' })) m.zRem(key, row.ref);
      for (const status of URP_STATUSES) m.zRem(scopeKey(scope, `status:${status}`), row.ref);
      m.zRem(scopeKey(scope, 'open'), row.ref);
      return m.exec();
    };
    await Promise.all(scopesOf(row.assigned).map(multi));
  }

  function decryptOr(ref: string, field: string, value: string | undefined): string | undefined {
    if (value === undefined || value === '') return undefined;
    try {
      return cipher.decrypt(value, context(ref, field));
    } catch {
      return undefined; // a key no longer configured: as if absent
    }
  }

  async function get(ref: string): Promise<UrpRequest | undefined> {
    if (!REFERENCE.test(ref)) return undefined;
    const [plain, personal] = await Promise.all([
      client.hGetAll(requestKey(ref)),
      client.hGetAll(dataKey(ref)),
    ]);
    const parsed = storedRequest.safeParse({ ...plain, ...personal });
    if (!parsed.success) return undefined;
    const s = parsed.data;
    return {
      ref: s.ref,
      kind: s.kind,
      topic: s.topic,
      chosenBody: s.chosenBody,
      assigned: s.assigned || undefined,
      status: s.status,
      filedAt: s.filedAt,
      dueAt: s.dueAt,
      deadlineDays: s.deadlineDays,
      lang: s.lang,
      channel: s.channel,
      owner: s.owner || undefined,
      email: decryptOr(ref, 'email', s.email),
      text: decryptOr(ref, 'text', s.text) ?? '',
      address: decryptOr(ref, 'address', s.address),
      lat: s.lat,
      lon: s.lon,
      closedAt: s.closedAt,
      rated: s.rated === '1',
      publishable: s.publishable === '1',
      purged: s.status === 'closed' && s.text === undefined,
    };
  }

  const rowOf = (r: Pick<UrpRequest, keyof QueueRow>): QueueRow => ({
    ref: r.ref,
    kind: r.kind,
    topic: r.topic,
    status: r.status,
    assigned: r.assigned,
    filedAt: r.filedAt,
    dueAt: r.dueAt,
  });

  async function list<T>(key: string, schema: z.ZodType<T>): Promise<T[]> {
    const raw = await client.lRange(key, 0, -1);
    return raw.flatMap((item) => {
      const parsed = schema.safeParse(JSON.parse(item));
      return parsed.success ? [parsed.data] : [];
    });
  }

  return {
    get,

    /** The next reference number of the year: URP-<year>-<000001>. */
    async nextReference(at: number): Promise<string> {
      const year = new Date(at).getUTCFullYear();
      const n = await client.incr(`${base}seq:${year}`);
      return `URP-${year}-${String(n).padStart(6, '0')}`;
    },

    /** Stores a new request with its first message (the request's text), then indexes it. */
    async create(request: UrpRequest): Promise<void> {
      const { ref } = request;
      const secret = (field: SecretField) =>
        request[field] === undefined ? {} : { [field]: cipher.encrypt(request[field], context(ref, field)) };
      const fields: Record<string, string> = {
        ref,
        kind: request.kind,
        topic: request.topic,
        chosenBody: request.chosenBody,
        status: request.status,
        filedAt: String(request.filedAt),
        dueAt: String(request.dueAt),
        deadlineDays: String(request.deadlineDays),
        lang: request.lang,
        channel: request.channel,
        ...(request.assigned ? { assigned: request.assigned } : {}),
        ...(request.owner ? { owner: request.owner } : {}),
        ...(request.publishable ? { publishable: '1' } : {}),
        ...(request.lat !== undefined && request.lon !== undefined
          ? { lat: String(request.lat), lon: String(request.lon) }
          : {}),
      };
      const personal = { ...secret('email'), ...secret('text'), ...secret('address') };
      await client.multi().hSet(requestKey(ref), fields).hSet(dataKey(ref), personal).exec();
      await index(rowOf(request));
      if (request.kind === 'report') await client.zAdd(reportsKey, { score: request.filedAt, value: ref });
    },

    /** Changes the status (and the body it is routed to), moving it between the index sets. */
    async move(
      request: UrpRequest,
      change: { status: UrpStatus; assigned?: string | undefined; at: number },
    ) {
      const next = { ...request, status: change.status, assigned: change.assigned ?? request.assigned };
      const multi = client.multi().hSet(requestKey(request.ref), {
        status: next.status,
        ...(next.assigned ? { assigned: next.assigned } : {}),
        ...(next.status === 'closed' ? { closedAt: String(change.at) } : {}),
      });
      // Closed: its personal data (text, address, e-mail, thread, notes) is kept only so long.
      if (next.status === 'closed')
        for (const key of [dataKey(request.ref), threadKey(request.ref), notesKey(request.ref)])
          multi.expire(key, options.retainDataSeconds);
      await multi.exec();
      await unindex(rowOf(request));
      await index(rowOf(next));
      return next;
    },

    async addMessage(ref: string, message: ThreadMessage): Promise<void> {
      const stored = { ...message, text: cipher.encrypt(message.text, context(ref, 'thread')) };
      await client.rPush(threadKey(ref), JSON.stringify(stored));
    },

    async thread(ref: string): Promise<ThreadMessage[]> {
      const stored = await list(threadKey(ref), storedMessage);
      return stored.map((m) => ({ ...m, text: decryptOr(ref, 'thread', m.text) ?? '' }));
    },

    async addNote(ref: string, note: InternalNote): Promise<void> {
      const stored = { ...note, text: cipher.encrypt(note.text, context(ref, 'note')) };
      await client.rPush(notesKey(ref), JSON.stringify(stored));
    },

    async notes(ref: string): Promise<InternalNote[]> {
      const stored = await list(notesKey(ref), storedMessage);
      return stored.flatMap((n) =>
        n.author === 'citizen'
          ? []
          : [{ ...n, author: n.author, text: decryptOr(ref, 'note', n.text) ?? '' }],
      );
    },

    async addHistory(ref: string, entry: HistoryEntry): Promise<void> {
      await client.rPush(historyKey(ref), JSON.stringify(entry));
    },

    history: (ref: string): Promise<HistoryEntry[]> => list(historyKey(ref), storedHistory),

    /** Marks a closed request as rated (the stars are counted elsewhere, without the requester). */
    async markRated(ref: string): Promise<boolean> {
      return (await client.hSetNX(requestKey(ref), 'rated', '1')) === 1;
    },

    /** Publishes a suggestion (or replaces what was published of it). */
    async publish(ref: string, published: { text: string; answer?: string | undefined; at: number }) {
      await client
        .multi()
        .del(publicKey(ref))
        .hSet(publicKey(ref), {
          text: published.text,
          at: String(published.at),
          ...(published.answer ? { answer: published.answer } : {}),
        })
        .exec();
      await client.zAdd(suggestionsKey, { score: published.at, value: ref });
    },

    async unpublish(ref: string): Promise<void> {
      await client.del(publicKey(ref));
      await client.zRem(suggestionsKey, ref);
    },

    async publicOf(
      ref: string,
    ): Promise<{ text: string; answer?: string | undefined; at: number } | undefined> {
      const parsed = storedPublic.safeParse(await client.hGetAll(publicKey(ref)));
      return parsed.success ? parsed.data : undefined;
    },

    /** A page of the published suggestions, newest first, and how many there are. */
    async published(page: {
      offset: number;
      count: number;
    }): Promise<{ total: number; rows: PublishedSuggestion[] }> {
      const [total, refs] = await Promise.all([
        client.zCard(suggestionsKey),
        client.zRange(suggestionsKey, page.offset, page.offset + page.count - 1, { REV: true }),
      ]);
      const rows = await Promise.all(
        refs.map(async (ref): Promise<PublishedSuggestion | undefined> => {
          const [shown, plain] = await Promise.all([
            client.hGetAll(publicKey(ref)),
            client.hmGet(requestKey(ref), ['topic', 'assigned', 'filedAt']),
          ]);
          const parsed = storedPublic.safeParse(shown);
          const topic = z.enum(URP_TOPICS).safeParse(plain[0]);
          if (!parsed.success || !topic.success) return undefined;
          return {
            ref,
            topic: topic.data,
            assigned: plain[1] || undefined,
            filedAt: Number(plain[2]),
            ...parsed.data,
          };
        }),
      );
      return { total, rows: rows.filter((r): r is PublishedSuggestion => r !== undefined) };
    },

    /** How many requests of a scope's set are overdue at `now`, and due from `now` to `soon`. */
    async dueCounts(scope: string, set: string, now: number, soon: number) {
      const key = scopeKey(scope, set);
      const [overdue, dueSoon] = await Promise.all([
        client.zCount(key, '-inf', `(${now}`),
        client.zCount(key, String(now), String(soon)),
      ]);
      return { overdue, dueSoon };
    },

    /** Reports filed between two times (ms), newest first, at most `limit`. */
    reports: (from: number, to: number, limit: number) =>
      client.zRange(reportsKey, String(to), String(from), {
        BY: 'SCORE',
        REV: true,
        LIMIT: { offset: 0, count: limit },
      }),

    /**
     * Counts a rating of an answer under the body that answered (or the network's URP), without the
     * request or the requester: urp:{b:<ipa>}:ratings (or urp:{network}:ratings), counters n, sum, s1…s5.
     */
    async countRating(body: string | undefined, stars: number): Promise<void> {
      const key = `${base}${body ? `{b:${body}}` : '{network}'}:ratings`;
      await client
        .multi()
        .hIncrBy(key, 'n', 1)
        .hIncrBy(key, 'sum', stars)
        .hIncrBy(key, `s${stars}`, 1)
        .exec();
    },

    async ratings(body: string | undefined): Promise<Record<string, string>> {
      return client.hGetAll(`${base}${body ? `{b:${body}}` : '{network}'}:ratings`);
    },

    /**
     * One page of a scope's queue, by due date (soonest first), and how many match. One filter reads
     * its sorted set by score; several are intersected by Redis into a short-lived set of the same
     * slot, counted and paged there, in one MULTI, so only the page travels (at 100,000 requests the
     * intersection is a few milliseconds of Redis, the page fifty members).
     */
    async queue(
      scope: string,
      filter: QueueFilter,
      page: { offset: number; count: number },
      now = Date.now(),
    ): Promise<{ total: number; rows: QueueRow[] }> {
      if (filter.due && filter.status && !isOpen(filter.status)) return { total: 0, rows: [] };
      const main = filter.status ? `status:${filter.status}` : filter.due ? 'open' : undefined;
      const named = [
        ...(main ? [scopeKey(scope, main)] : []),
        ...(filter.kind ? [scopeKey(scope, `kind:${filter.kind}`)] : []),
        ...(filter.topic ? [scopeKey(scope, `topic:${filter.topic}`)] : []),
      ];
      const keys = named.length > 0 ? named : [scopeKey(scope, 'all')];
      const [min, max] =
        filter.due === 'overdue'
          ? ['-inf', `(${now}`]
          : filter.due === 'week'
            ? [String(now), String(now + WEEK_MS)]
            : ['-inf', '+inf'];
      const limit = { BY: 'SCORE', LIMIT: { offset: page.offset, count: page.count } } as const;
      let refs: string[];
      let total: number;
      if (keys.length === 1) {
        const key = keys[0] as string;
        [total, refs] = await Promise.all([
          client.zCount(key, min, max),
          client.zRange(key, min, max, limit),
        ]);
      } else {
        const temp = scopeKey(scope, `tmp:${randomBytes(8).toString('hex')}`);
        const [, counted, paged] = (await client
          .multi()
          .zInterStore(temp, keys as [string, ...string[]], { AGGREGATE: 'MIN' })
          .zCount(temp, min, max)
          .zRange(temp, min, max, limit)
          .del(temp)
          .exec()) as unknown as [number, number, string[], number];
        total = counted;
        refs = paged;
      }
      const fields = ['kind', 'topic', 'status', 'assigned', 'filedAt', 'dueAt'] as const;
      const values = await Promise.all(refs.map((ref) => client.hmGet(requestKey(ref), [...fields])));
      const rows = refs.flatMap((ref, i) => {
        const [kind, topic, status, assigned, filedAt, dueAt] = values[i] ?? [];
        if (!kind || !topic || !status) return [];
        return [
          {
            ref,
            kind,
            topic,
            status: status as UrpStatus,
            assigned: assigned || undefined,
            filedAt: Number(filedAt),
            dueAt: Number(dueAt),
          },
        ];
      });
      return { total, rows };
    },
  };
}

export type UrpStore = ReturnType<typeof createUrpStore>;
