import { z } from 'zod';

/**
 * The URP desk's vocabulary. A request is one of four kinds (L. 150/2000 art. 8 gives the URP
 * information, reports, complaints and suggestions), about one topic of a closed list, for one body of
 * the network or for the URP to decide ("unknown").
 */
export const URP_KINDS = ['information', 'report', 'complaint', 'suggestion'] as const;
export type UrpKind = (typeof URP_KINDS)[number];

export const URP_TOPICS = [
  'roads',
  'environment',
  'waste',
  'mobility',
  'safety',
  'registry',
  'taxes',
  'social',
  'health',
  'education',
  'culture',
  'other',
] as const;
export type UrpTopic = (typeof URP_TOPICS)[number];

/**
 * received (filed, nobody has it yet) → assigned (routed to a body) → answered → closed. A message the
 * citizen adds to an answered request takes it back to assigned (or received, when no body has it).
 */
export const URP_STATUSES = ['received', 'assigned', 'answered', 'closed'] as const;
export type UrpStatus = (typeof URP_STATUSES)[number];

/** Who wrote a message of the thread. */
export const AUTHORS = ['citizen', 'urp', 'body'] as const;
export type Author = (typeof AUTHORS)[number];

export const UNKNOWN_BODY = 'unknown';
export const TEXT_MIN = 10;
export const TEXT_MAX = 4000;
export const ADDRESS_MAX = 200;

/** A reference number: URP-<year>-<six digits or more>. */
export const REFERENCE = /^URP-\d{4}-\d{6,9}$/;

/** Control characters other than line breaks and tabs: never part of a text. */
const CONTROL = /(?![\n\t])\p{Cc}/u;

/** A text of the thread: line breaks normalised, trimmed, bounded in characters, no control characters. */
export const messageText = (min: number, max: number) =>
  z
    .string()
    .transform((value) => value.normalize('NFC').replace(/\r\n?/g, '\n').trim())
    .refine((value) => [...value].length >= min, `at least ${min} characters`)
    .refine((value) => [...value].length <= max, `at most ${max} characters`)
    .refine((value) => !CONTROL.test(value), 'no control characters');

const bodyChoice = z.union([z.literal(UNKNOWN_BODY), z.string().regex(/^[a-z0-9_]{2,32}$/)]);

/** An optional form field: an empty string is as good as absent. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const coordinate = z
  .string()
  .trim()
  .regex(/^-?\d{1,3}(\.\d{1,8})?$/, 'a decimal number')
  .transform(Number);

/** What a new request says, from the form or from an app (Open311), before the body is checked. */
export const requestFields = z.object({
  kind: z.enum(URP_KINDS),
  topic: z.enum(URP_TOPICS),
  body: bodyChoice,
  text: messageText(TEXT_MIN, TEXT_MAX),
  address: optional(messageText(3, ADDRESS_MAX).refine((v) => !v.includes('\n'), 'one line')),
  lat: optional(coordinate),
  lon: optional(coordinate),
  /** A suggestion's author agrees that the URP may publish it, without personal data. */
  publish: optional(z.literal('yes')),
});
export type RequestFields = z.infer<typeof requestFields>;

/** The citizen's form (an anonymous visitor adds the address the link goes to). */
export const newRequestForm = z.strictObject({
  ...requestFields.shape,
  _csrf: z.string(),
  email: optional(z.string().trim().toLowerCase().pipe(z.email().max(254))),
});

export const messageForm = z.strictObject({ _csrf: z.string(), text: messageText(1, TEXT_MAX) });
export const publishForm = z.strictObject({
  _csrf: z.string(),
  text: messageText(TEXT_MIN, TEXT_MAX),
  answer: optional(messageText(1, TEXT_MAX)),
});
export const ratingForm = z.strictObject({
  _csrf: z.string(),
  stars: z.enum(['1', '2', '3', '4', '5']).transform(Number),
});

/** Bounds of the places requests may name (participation.urp.area). */
export interface Area {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

/** A place given with a request: both coordinates or neither, inside the area. */
export function placeProblem(fields: Pick<RequestFields, 'lat' | 'lon'>, area: Area): string | undefined {
  const { lat, lon } = fields;
  if (lat === undefined && lon === undefined) return undefined;
  if (lat === undefined || lon === undefined) return 'lat';
  if (lat < area.minLat || lat > area.maxLat || lon < area.minLon || lon > area.maxLon) return 'lat';
  return undefined;
}

/** A request as the pages see it once decrypted. */
export interface UrpRequest {
  ref: string;
  kind: UrpKind;
  topic: UrpTopic;
  /** The body the requester chose, or "unknown". */
  chosenBody: string;
  /** The body it is routed to, if any. */
  assigned?: string | undefined;
  status: UrpStatus;
  filedAt: number;
  dueAt: number;
  deadlineDays: number;
  lang: 'it' | 'en';
  channel: 'web' | 'open311';
  /** The citizen's reference (logged in), never the fiscal code; absent for anonymous requesters. */
  owner?: string | undefined;
  /** The confirmed address of an anonymous requester. */
  email?: string | undefined;
  text: string;
  address?: string | undefined;
  lat?: number | undefined;
  lon?: number | undefined;
  closedAt?: number | undefined;
  rated: boolean;
  /** A suggestion whose author agreed to its publication. */
  publishable?: boolean;
  /** Closed long enough ago that its personal data (text, thread, notes, address, e-mail) is gone. */
  purged?: boolean;
}

/** A suggestion as the URP published it: texts an operator wrote from it, with no personal data. */
export interface PublishedSuggestion {
  ref: string;
  topic: UrpTopic;
  assigned?: string | undefined;
  filedAt: number;
  at: number;
  text: string;
  answer?: string | undefined;
}

export interface ThreadMessage {
  at: number;
  author: Author;
  /** The body that answered (author "body"). */
  body?: string | undefined;
  text: string;
}

export interface InternalNote {
  at: number;
  author: Exclude<Author, 'citizen'>;
  body?: string | undefined;
  text: string;
}

/** What staff did to a request, for its history (the audit): every routing, answer and closing. */
export const ACTIONS = ['route', 'answer', 'close'] as const;

/** One entry of a request's history: what, by whom (a staff member's fiscal code), when; a routing's bodies. */
export interface HistoryEntry {
  at: number;
  action: (typeof ACTIONS)[number];
  by: string;
  from?: string | undefined;
  to?: string | undefined;
}

const DAY_MS = 86_400_000;

/** Whole days left before the due date (negative once overdue), counted as a person would. */
export const daysLeft = (dueAt: number, now = Date.now()) => Math.ceil((dueAt - now) / DAY_MS);

/** The due date of a request filed at `filedAt` with `days` to answer. */
export const dueDate = (filedAt: number, days: number) => filedAt + days * DAY_MS;

/** Still waiting for an answer. */
export const isOpen = (status: UrpStatus) => status === 'received' || status === 'assigned';
