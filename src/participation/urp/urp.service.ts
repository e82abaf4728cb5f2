import type { DataCipher } from '../../citizen/data-cipher.ts';
import type { CitizenRef } from '../../citizen/reference.ts';
import { AppError, NotFoundError } from '../../platform/errors.ts';
import { newOneTimeToken, ONE_TIME_TOKEN, tokenId } from '../../platform/one-time-token.ts';
import {
  dueDate,
  isOpen,
  placeProblem,
  UNKNOWN_BODY,
  type Area,
  type RequestFields,
  type UrpKind,
  type UrpRequest,
} from './model.ts';
import type { People } from './people.repository.ts';
import type { Reminder } from './reminders.ts';
import type { UrpStore } from './urp.repository.ts';

/** The desk's settings (participation.urp). */
export interface UrpSettings {
  deadlineDays: number;
  bodyDeadlines: Record<string, Partial<Record<UrpKind, number>>>;
  area: Area;
}

/** What the desk tells by mail (the mail module): the confirmation link, then the link to follow it. */
export interface UrpNotices {
  confirmRequest(c: { address: string; lang: 'it' | 'en'; token: string; id: string }): Promise<void>;
  requestFiled(c: { address: string; lang: 'it' | 'en'; token: string; reference: string }): Promise<void>;
  /** An answer was given (the `answer`-th message of staff): the requester is told, if reachable. */
  requestAnswered(c: {
    reference: string;
    answer: number;
    owner?: string | undefined;
    email?: string | undefined;
    lang: 'it' | 'en';
  }): Promise<void>;
  /** A reminder of the deadlines to a staff member (reminders.ts). */
  remind(reminder: Reminder): Promise<void>;
}

/** A staff member acting on a request: a URP operator, or an answerer of the body it is routed to. */
export interface Actor {
  role: 'urp' | 'body';
  fiscalCode: string;
  /** The answerer's body. */
  body?: string | undefined;
}

const PENDING_CONTEXT = 'urp-pending';

/**
 * What an app is told of a request waiting for confirmation (the Open311 token): derived from the
 * confirmation token's hash by hashing again, so it neither confirms nor leads to the confirmation.
 */
const appToken = (id: string) => tokenId(`open311:${id}`).slice(0, 32);

/** What waits for an anonymous requester's confirmation. */
interface Sealed {
  fields: RequestFields;
  email: string;
  channel: UrpRequest['channel'];
}

export const requestNotFound = () => new NotFoundError('request_not_found');
const closedError = () => new AppError(409, 'request_closed');

/**
 * The URP desk's rules: filing (logged in, or anonymous once the address is confirmed), the legal
 * deadline of each request, the requester's thread and rating, and what operators and answerers do.
 * Services decide; the repositories own the keys.
 */
/** A request filed, or first answered (late: past its deadline), as the usage statistics count it. */
export type UrpListener = (
  event:
    { body: string; stage: 'received' | 'overdue' } | { body: string; stage: 'answered'; seconds: number },
) => void;

export function createUrpDesk(deps: {
  store: UrpStore;
  people: People;
  cipher: DataCipher;
  ref: CitizenRef;
  settings: UrpSettings;
  bodyExists: (ipa: string) => Promise<boolean>;
  notices: UrpNotices;
  /** Told of requests filed and first answered, by body and times only (the usage statistics). */
  moved?: UrpListener;
  now?: () => number;
}) {
  const { store, people, settings } = deps;
  const now = deps.now ?? Date.now;

  /** The days a body has for a kind: its declared shorter term, else the general one. */
  const deadlineDays = (body: string | undefined, kind: UrpKind) =>
    Math.min(settings.deadlineDays, (body && settings.bodyDeadlines[body]?.[kind]) || settings.deadlineDays);

  /** The fields that are wrong beyond their syntax: an unknown body, a place outside the area. */
  async function problems(fields: RequestFields): Promise<string[]> {
    const found: string[] = [];
    if (fields.body !== UNKNOWN_BODY && !(await deps.bodyExists(fields.body))) found.push('body');
    const place = placeProblem(fields, settings.area);
    if (place) found.push(place);
    return found;
  }

  async function file(
    fields: RequestFields,
    requester: { owner?: string; email?: string },
    lang: 'it' | 'en',
    channel: UrpRequest['channel'],
  ): Promise<UrpRequest> {
    const filedAt = now();
    const body = fields.body === UNKNOWN_BODY ? undefined : fields.body;
    const days = deadlineDays(body, fields.kind);
    const request: UrpRequest = {
      ref: await store.nextReference(filedAt),
      kind: fields.kind,
      topic: fields.topic,
      chosenBody: fields.body,
      // A body the requester named has it at once; "non so" waits for the URP.
      assigned: body,
      status: body ? 'assigned' : 'received',
      filedAt,
      dueAt: dueDate(filedAt, days),
      deadlineDays: days,
      lang,
      channel,
      owner: requester.owner,
      email: requester.email,
      text: fields.text,
      address: fields.address,
      lat: fields.lat,
      lon: fields.lon,
      rated: false,
      publishable: fields.kind === 'suggestion' && fields.publish === 'yes',
    };
    await store.create(request);
    await store.addMessage(request.ref, { at: filedAt, author: 'citizen', text: fields.text });
    // Requests the requester left to the URP ("non so") are counted under the desk itself.
    deps.moved?.({ body: body ?? 'urp', stage: 'received' });
    return request;
  }

  /** A sealed form: written by askConfirmation from validated fields, authenticated by the cipher. */
  function unseal(sealed: string): Sealed | undefined {
    try {
      return JSON.parse(deps.cipher.decrypt(sealed, PENDING_CONTEXT)) as Sealed;
    } catch {
      return undefined;
    }
  }

  /** A staff member's action on a request they may see, in order. */
  async function act(request: UrpRequest, actor: Actor, action: 'answer' | 'close', text?: string) {
    if (request.status === 'closed') throw closedError();
    const at = now();
    if (text !== undefined)
      await store.addMessage(request.ref, { at, author: actor.role, body: actor.body, text });
    await store.addHistory(request.ref, { at, action, by: actor.fiscalCode });
    return store.move(request, { status: action === 'answer' ? 'answered' : 'closed', at });
  }

  return {
    store,
    people,
    problems,
    deadlineDays,

    /** A logged-in citizen files: the request is theirs at once (filed under their reference). */
    async fileForCitizen(fiscalCode: string, fields: RequestFields, lang: 'it' | 'en') {
      const request = await file(fields, { owner: deps.ref(fiscalCode) }, lang, 'web');
      await people.citizenRequests.add(fiscalCode, request.ref, request.filedAt);
      return request;
    },

    /**
     * An anonymous requester: nothing is filed until the address is confirmed. The form waits, sealed,
     * under the hash of a one-time token that the confirmation mail carries.
     */
    async askConfirmation(
      fields: RequestFields,
      email: string,
      lang: 'it' | 'en',
      channel: UrpRequest['channel'] = 'web',
    ): Promise<string> {
      const token = newOneTimeToken();
      const id = tokenId(token);
      const sealed = deps.cipher.encrypt(
        JSON.stringify({ fields, email, channel } satisfies Sealed),
        PENDING_CONTEXT,
      );
      await people.pending.save(id, { sealed, lang });
      await deps.notices.confirmRequest({ address: email, lang, token, id: id.slice(0, 32) });
      return appToken(id);
    },

    /** Whether a confirmation link can still be used (the page before the button). */
    async confirmable(token: string): Promise<boolean> {
      return ONE_TIME_TOKEN.test(token) && (await people.pending.peek(tokenId(token))) !== undefined;
    },

    /** Uses a confirmation link: files the request and returns it with the requester's link to follow it. */
    async confirm(token: string): Promise<{ request: UrpRequest; access: string } | undefined> {
      const pending = ONE_TIME_TOKEN.test(token) ? await people.pending.take(tokenId(token)) : undefined;
      const unsealed = pending && unseal(pending.sealed);
      if (!pending || !unsealed) return undefined;
      const request = await file(unsealed.fields, { email: unsealed.email }, pending.lang, unsealed.channel);
      const access = newOneTimeToken();
      await people.access.grant(access, request.ref);
      if (unsealed.channel === 'open311') await people.apps.filed(appToken(tokenId(token)), request.ref);
      await deps.notices.requestFiled({
        address: unsealed.email,
        lang: pending.lang,
        token: access,
        reference: request.ref,
      });
      return { request, access };
    },

    /** A logged-in citizen's requests, newest first. */
    async citizenRequests(fiscalCode: string): Promise<UrpRequest[]> {
      const refs = await people.citizenRequests.list(fiscalCode);
      const found = await Promise.all(refs.map((r) => store.get(r)));
      return found.filter((r): r is UrpRequest => r !== undefined);
    },

    /** A citizen's own request; anyone else's, or none, is a 404 (the same answer: nothing to learn). */
    async ownRequest(fiscalCode: string, ref: string): Promise<UrpRequest> {
      const request = await store.get(ref);
      if (!request?.owner || request.owner !== deps.ref(fiscalCode)) throw requestNotFound();
      return request;
    },

    /** The request an anonymous requester's link opens. */
    async byAccess(token: string): Promise<UrpRequest> {
      const ref = ONE_TIME_TOKEN.test(token) ? await people.access.find(token) : undefined;
      const request = ref ? await store.get(ref) : undefined;
      if (!request || request.owner) throw requestNotFound();
      return request;
    },

    /** The requester adds to the thread until the request is closed; an answered request opens again. */
    async requesterAdds(request: UrpRequest, text: string): Promise<void> {
      if (request.status === 'closed') throw closedError();
      const at = now();
      await store.addMessage(request.ref, { at, author: 'citizen', text });
      if (request.status === 'answered')
        await store.move(request, { status: request.assigned ? 'assigned' : 'received', at });
    },

    /** Rates the answer of a closed request, once; the stars are counted without the request. */
    async rate(request: UrpRequest, stars: number): Promise<void> {
      if (request.status !== 'closed') throw new AppError(409, 'request_not_closed');
      if (!(await store.markRated(request.ref))) throw new AppError(409, 'already_rated');
      await store.countRating(request.assigned, stars);
    },

    /** The role of a staff member on a scope: URP operator (every request) or a body's answerer. */
    async actor(fiscalCode: string, body?: string): Promise<Actor | undefined> {
      if (body === undefined)
        return (await people.operators.has(fiscalCode)) ? { role: 'urp', fiscalCode } : undefined;
      return (await people.answerers.has(body, fiscalCode)) ? { role: 'body', fiscalCode, body } : undefined;
    },

    /** A request as a staff member may see it: operators any, answerers only what is routed to their body. */
    async forStaff(actor: Actor, ref: string): Promise<UrpRequest> {
      const request = await store.get(ref);
      if (!request || (actor.role === 'body' && request.assigned !== actor.body)) throw requestNotFound();
      return request;
    },

    /** Answers the requester (the thread), and tells them by mail. */
    async answer(request: UrpRequest, actor: Actor, text: string): Promise<UrpRequest> {
      const answered = await act(request, actor, 'answer', text);
      const answers = (await store.history(request.ref)).filter((h) => h.action === 'answer').length;
      if (answers === 1) {
        const at = now();
        const body = actor.body ?? request.assigned ?? 'urp';
        deps.moved?.({ body, stage: 'answered', seconds: Math.max(0, (at - request.filedAt) / 1000) });
        if (at > request.dueAt) deps.moved?.({ body, stage: 'overdue' });
      }
      await deps.notices.requestAnswered({
        reference: request.ref,
        answer: answers,
        owner: request.owner,
        email: request.email,
        lang: request.lang,
      });
      return answered;
    },
    close: (request: UrpRequest, actor: Actor) => act(request, actor, 'close'),

    async note(request: UrpRequest, actor: Actor, text: string): Promise<void> {
      await store.addNote(request.ref, { at: now(), author: actor.role, body: actor.body, text });
    },

    /**
     * An operator publishes a suggestion whose author agreed, as texts they wrote from it (the page
     * offers the screened text to start from) and, optionally, the bodies' public answer.
     */
    async publish(
      request: UrpRequest,
      actor: Actor,
      published: { text: string; answer?: string | undefined },
    ) {
      if (actor.role !== 'urp') throw new AppError(403, 'not_an_operator');
      if (request.kind !== 'suggestion' || !request.publishable) throw new AppError(409, 'not_publishable');
      await store.publish(request.ref, { ...published, at: now() });
    },

    async unpublish(request: UrpRequest, actor: Actor): Promise<void> {
      if (actor.role !== 'urp') throw new AppError(403, 'not_an_operator');
      await store.unpublish(request.ref);
    },

    /** An operator routes (or re-routes) a request to a body; the history keeps every routing. */
    async route(request: UrpRequest, actor: Actor, to: string): Promise<UrpRequest> {
      if (actor.role !== 'urp') throw new AppError(403, 'not_an_operator');
      if (request.status === 'closed') throw closedError();
      if (to === request.assigned) throw new AppError(409, 'already_there');
      const at = now();
      await store.addHistory(request.ref, {
        at,
        action: 'route',
        by: actor.fiscalCode,
        from: request.assigned,
        to,
      });
      return store.move(request, { status: 'assigned', assigned: to, at });
    },

    isOpen,
  };
}

export type UrpDesk = ReturnType<typeof createUrpDesk>;
