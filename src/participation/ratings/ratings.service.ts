import { localMoment } from '../../catalog/desk-calendar.ts';
import type { CitizenRef } from '../../citizen/reference.ts';
import { AppError, NotFoundError } from '../../platform/errors.ts';
import type { RatingAnswer, RatingRecord, Subject, UseChannel } from './model.ts';
import type { RatingStore } from './ratings.repository.ts';
import { screenComment } from './screen.ts';
import type { Use, Uses } from './uses.repository.ts';

export class RatingClosedError extends AppError {
  constructor() {
    super(410, 'rating_closed');
  }
}

export class RatingBusyError extends AppError {
  constructor() {
    super(409, 'rating_busy');
  }
}

/** What a procedure's case tells when it moves (src/procedures/case.service.ts, CaseMoved). */
export interface CaseFinished {
  caseId: string;
  procedureId: string;
  owner: string;
  caseStatus: 'open' | 'completed' | 'closed';
}

/**
 * Ratings tied to real use: a use is recorded on the citizen's side when it happens (a deep link
 * followed, a single sign-on entry, a case filed or finished), and each use can be rated once, changed
 * until it closes. The rating is stored on the body's side without the citizen: who rated stays on the
 * citizen's side, in the use, which expires. Information sheets are rated anonymously (the routes
 * throttle them). Comments are screened before they are stored.
 */
export function createRatings(deps: { uses: Uses; store: RatingStore; ref: CitizenRef }) {
  const { uses, store } = deps;
  const today = () => localMoment(new Date(uses.now())).date;

  /** The rating of a use with this answer: the same id and day when it changes an earlier one. */
  const ratingOf = (
    subject: Subject,
    answer: RatingAnswer,
    previous?: RatingRecord,
    id = previous?.id ?? store.newId(),
  ): RatingRecord => ({
    id,
    kind: subject.kind,
    subject: subject.id,
    ...(subject.body ? { body: subject.body } : {}),
    stars: answer.stars,
    reasons: answer.reasons,
    comment: screenComment(answer.comment),
    day: previous?.day ?? today(),
  });

  return {
    /** A citizen used a catalog service: one use per service and day, whichever way they entered it. */
    async serviceUsed(fiscalCode: string, service: { id: string; bodyId: string }, channel: UseChannel) {
      const subject: Subject = { kind: 'service', id: service.id, body: service.bodyId };
      return uses.record(deps.ref(fiscalCode), subject, channel, `service:${service.id}:${today()}`);
    },

    /** A case was filed (`filed`) or finished: one use of the procedure for each. */
    async procedureUsed(owner: string, procedureId: string, caseId: string, moment: 'filed' | 'finished') {
      const subject: Subject = { kind: 'procedure', id: procedureId };
      return uses.record(owner, subject, moment, `case:${caseId}:${moment}`);
    },

    /** The procedures' listener: a case that finished can be rated from the personal area. */
    async caseMoved(event: CaseFinished) {
      if (event.caseStatus === 'open') return;
      await this.procedureUsed(event.owner, event.procedureId, event.caseId, 'finished');
    },

    /** One of the citizen's uses, with its rating if given; 404 for anyone else's or an unknown one. */
    async useOf(fiscalCode: string, useId: string): Promise<{ use: Use; rating?: RatingRecord | undefined }> {
      const use = await uses.get(deps.ref(fiscalCode), useId);
      if (!use) throw new NotFoundError('use_not_found');
      const rating = use.ratingId ? await store.get(use.subject.body, use.ratingId) : undefined;
      return { use, rating };
    },

    openUses: (fiscalCode: string) => uses.open(deps.ref(fiscalCode)),

    /** Rates a use, or changes its rating, while it is open; 410 once closed. */
    async rateUse(fiscalCode: string, useId: string, answer: RatingAnswer): Promise<Use> {
      const ref = deps.ref(fiscalCode);
      const use = await uses.get(ref, useId);
      if (!use) throw new NotFoundError('use_not_found');
      if (use.closesAt <= uses.now()) throw new RatingClosedError();
      if (!(await uses.lock(ref, useId))) throw new RatingBusyError();
      try {
        const fresh = (await uses.get(ref, useId)) ?? use;
        const previous = fresh.ratingId ? await store.get(use.subject.body, fresh.ratingId) : undefined;
        // The id is claimed on the use before the rating is stored, so a failed write is retried under it.
        const rating = ratingOf(use.subject, answer, previous, fresh.ratingId ?? store.newId());
        if (!fresh.ratingId) await uses.setRating(ref, useId, rating.id);
        await store.save(rating, previous);
        return { ...fresh, ratingId: rating.id };
      } finally {
        await uses.unlock(ref, useId);
      }
    },

    /** An anonymous rating of an information sheet's clarity. */
    async rateSheet(service: { id: string; bodyId: string }, answer: RatingAnswer): Promise<void> {
      await store.save(ratingOf({ kind: 'sheet', id: service.id, body: service.bodyId }, answer));
    },

    store,
  };
}

export type Ratings = ReturnType<typeof createRatings>;
