import type { Request, Response } from 'express';
import type { Catalog } from '../../catalog/catalog.module.ts';
import { serviceId, type Service } from '../../catalog/model.ts';
import { parseInput } from '../../catalog/validation.ts';
import { AppError, NotFoundError } from '../../platform/errors.ts';
import type { Language } from '../../platform/i18n.ts';
import { renderPage } from '../../platform/views.ts';
import { editableBody } from '../../registry/editor/editor-access.ts';
import {
  BAD_REASONS,
  GOOD_REASONS,
  ratingForm,
  starsQuery,
  type RatingRecord,
  type Subject,
} from './model.ts';
import { addSummaries, emptySummary, type RatingSummary } from './ratings.repository.ts';
import type { Ratings } from './ratings.service.ts';
import { ratingsCsv, ratingsJson, type OpenRatingRow } from './open-data.ts';

/** Localised titles of the network's procedures (from their definitions). */
export type ProcedureTitles = (procedureId: string, lang: Language) => string | undefined;

type UseRequest = Request<{ useId: string }>;
type SheetRequest = Request<{ serviceId: string }>;

const langOf = (res: Response) => res.locals.lang as Language;

const citizenOf = (req: Request) => {
  const citizen = req.session.citizen;
  if (!citizen) throw new AppError(401, 'login_required');
  return citizen;
};

/** The form's fields as the page shows them back, with which were wrong. */
interface FormState {
  stars?: number | undefined;
  reasons: string[];
  comment: string;
  errors: string[];
}

const blankForm = (): FormState => ({ reasons: [], comment: '', errors: [] });

/** A refused form: its fields as sent (text stays text: the page escapes it) and which were wrong. */
function refusedForm(body: unknown, issues: ReadonlyArray<{ path: PropertyKey[] }>): FormState {
  const raw = (body ?? {}) as Record<string, unknown>;
  const stars = Number(raw.stars);
  const reasons = Array.isArray(raw.reasons) ? raw.reasons : raw.reasons === undefined ? [] : [raw.reasons];
  return {
    stars: Number.isInteger(stars) && stars >= 1 && stars <= 5 ? stars : undefined,
    reasons: reasons.filter((r): r is string => typeof r === 'string'),
    comment: typeof raw.comment === 'string' ? raw.comment.slice(0, 1000) : '',
    errors: [...new Set(issues.map((i) => String(i.path[0] ?? 'form')))],
  };
}

/**
 * The rating pages: rating a use from the personal area (/me/ratings/:useId), an information sheet's
 * clarity (/services/:serviceId/clarity), the summaries on a sheet, the editors' and the admins' views,
 * and the open data. Each form is two steps without JavaScript: the stars (a GET form, so the sheet can
 * carry it without a token), then the reasons of those stars and the comment (a POST with its token).
 */
export function createRatingsController(deps: {
  ratings: Ratings;
  catalog: Pick<Catalog, 'index' | 'repository'>;
  procedureTitles: ProcedureTitles;
  procedureIds: () => readonly string[];
  threshold: number;
  publicUrl: string;
}) {
  const { ratings, catalog, threshold } = deps;
  const { store } = ratings;

  async function subjectTitle(subject: Pick<Subject, 'kind' | 'id'>, lang: Language): Promise<string> {
    if (subject.kind === 'procedure') return deps.procedureTitles(subject.id, lang) ?? subject.id;
    return (await catalog.index.published(subject.id))?.title[lang] ?? subject.id;
  }

  async function sheetService(req: SheetRequest): Promise<Service> {
    const id = serviceId.safeParse(req.params.serviceId);
    const service = id.success ? await catalog.index.published(id.data) : undefined;
    if (!service) throw new NotFoundError('service_not_found');
    return service;
  }

  /** Which step to show: the stars in the query (step 2), else a given rating's, else step 1. */
  function stepOf(req: Request, given?: RatingRecord): FormState {
    if (req.query.step === 'stars') return blankForm();
    if (req.query.stars !== undefined) {
      const { stars } = parseInput(starsQuery, { stars: req.query.stars }, 400);
      return { ...blankForm(), stars };
    }
    return given
      ? { stars: given.stars, reasons: given.reasons, comment: given.comment, errors: [] }
      : blankForm();
  }

  const formLocals = (form: FormState) => ({ form, goodReasons: GOOD_REASONS, badReasons: BAD_REASONS });

  /** Summaries for a page: none below the threshold (too few to say anything). */
  const shown = (summary: RatingSummary) => (summary.count >= threshold ? summary : undefined);

  /** Every published service's and procedure's ratings, for the open data. */
  async function openRows(): Promise<OpenRatingRow[]> {
    const services = await catalog.index.allPublished();
    const subjects: Subject[] = [
      ...services.flatMap((s) =>
        (['service', 'sheet'] as const).map((kind) => ({ kind, id: s.id, body: s.bodyId })),
      ),
      ...deps.procedureIds().map((id) => ({ kind: 'procedure' as const, id })),
    ];
    const summaries = await Promise.all(subjects.map((subject) => store.summary(subject)));
    return subjects.flatMap((subject, i) => {
      const summary = summaries[i] ?? emptySummary();
      // As on the sheets: nothing about a subject rated by fewer than `threshold` people.
      return summary.count >= threshold
        ? [{ kind: subject.kind, subject: subject.id, body: subject.body, summary }]
        : [];
    });
  }

  return {
    /** The personal area's section: the services the citizen used and can rate. */
    async personalArea(req: Request, res: Response) {
      const citizen = citizenOf(req);
      const lang = langOf(res);
      const open = await ratings.openUses(citizen.fiscalCode);
      res.locals.ratings = {
        uses: await Promise.all(
          open.map(async (use) => ({
            href: `/me/ratings/${use.id}`,
            title: await subjectTitle(use.subject, lang),
            channel: use.channel,
            at: use.at,
            closesAt: use.closesAt,
            rated: Boolean(use.ratingId),
          })),
        ),
      };
    },

    async showUse(req: UseRequest, res: Response) {
      const citizen = citizenOf(req);
      const { use, rating } = await ratings.useOf(citizen.fiscalCode, req.params.useId);
      const closed = use.closesAt <= Date.now();
      res.set('Cache-Control', 'no-store');
      if (closed) res.status(410);
      renderPage(req, res, 'participation/rate', {
        question: use.subject.kind === 'procedure' ? 'procedure' : 'service',
        subjectTitle: await subjectTitle(use.subject, langOf(res)),
        action: `/me/ratings/${use.id}`,
        back: '/me#ratings-heading',
        closed,
        closesAt: use.closesAt,
        saved: req.query.saved === '1' && Boolean(rating),
        rated: Boolean(rating),
        ...formLocals(closed ? blankForm() : stepOf(req, rating)),
      });
    },

    async rateUse(req: UseRequest, res: Response) {
      const citizen = citizenOf(req);
      const parsed = ratingForm.safeParse(req.body);
      if (!parsed.success) {
        const { use, rating } = await ratings.useOf(citizen.fiscalCode, req.params.useId);
        res.status(422);
        return renderPage(req, res, 'participation/rate', {
          question: use.subject.kind === 'procedure' ? 'procedure' : 'service',
          subjectTitle: await subjectTitle(use.subject, langOf(res)),
          action: `/me/ratings/${use.id}`,
          back: '/me#ratings-heading',
          closed: false,
          closesAt: use.closesAt,
          saved: false,
          rated: Boolean(rating),
          ...formLocals(refusedForm(req.body, parsed.error.issues)),
        });
      }
      const use = await ratings.rateUse(citizen.fiscalCode, req.params.useId, parsed.data);
      res.redirect(303, `/me/ratings/${use.id}?saved=1`);
    },

    async showSheetForm(req: SheetRequest, res: Response) {
      const service = await sheetService(req);
      renderPage(req, res, 'participation/rate', {
        question: 'sheet',
        subjectTitle: service.title[langOf(res)],
        action: `/services/${service.id}/clarity`,
        back: `/services/${service.id}`,
        closed: false,
        saved: req.query.thanks === '1',
        rated: false,
        ...formLocals(req.query.thanks === '1' ? blankForm() : stepOf(req)),
      });
    },

    async rateSheet(req: SheetRequest, res: Response) {
      const service = await sheetService(req);
      const parsed = ratingForm.safeParse(req.body);
      if (!parsed.success) {
        res.status(422);
        return renderPage(req, res, 'participation/rate', {
          question: 'sheet',
          subjectTitle: service.title[langOf(res)],
          action: `/services/${service.id}/clarity`,
          back: `/services/${service.id}`,
          closed: false,
          saved: false,
          rated: false,
          ...formLocals(refusedForm(req.body, parsed.error.issues)),
        });
      }
      await ratings.rateSheet(service, parsed.data);
      res.redirect(303, `/services/${service.id}/clarity?thanks=1`);
    },

    /**
     * What an information sheet shows of its ratings (the catalog's sheet asks): the service's and the
     * sheet's summaries once each has enough ratings; `version` changes with them, for the sheet's cache.
     */
    async sheetLocals(service: Pick<Service, 'id' | 'bodyId'>) {
      const [used, clarity] = await Promise.all([
        store.summary({ kind: 'service', id: service.id, body: service.bodyId }),
        store.summary({ kind: 'sheet', id: service.id, body: service.bodyId }),
      ]);
      const ratingsShown = { service: shown(used), sheet: shown(clarity), threshold };
      return {
        version: `${used.count}.${used.average}.${clarity.count}.${clarity.average}`,
        locals: { ratings: ratingsShown, goodReasons: GOOD_REASONS, badReasons: BAD_REASONS },
      };
    },

    /** A body's ratings for its editors: per service and sheet, the reasons, the trend, the comments. */
    async editorView(req: Request<{ ipaCode: string }>, res: Response) {
      const body = await editableBody(catalog.repository, req, req.params.ipaCode);
      const lang = langOf(res);
      const services = (await catalog.index.allPublished()).filter((s) => s.bodyId === body.ipaCode);
      const [serviceTotal, sheetTotal, latest] = await Promise.all([
        store.total(body.ipaCode, 'service'),
        store.total(body.ipaCode, 'sheet'),
        store.latest(body.ipaCode, 100),
      ]);
      const perService = await Promise.all(
        services.map(async (service) => ({
          id: service.id,
          title: service.title[lang],
          service: await store.summary({ kind: 'service', id: service.id, body: body.ipaCode }),
          sheet: await store.summary({ kind: 'sheet', id: service.id, body: body.ipaCode }),
        })),
      );
      const titles = new Map(services.map((s) => [s.id, s.title[lang]]));
      res.set('Cache-Control', 'no-store');
      renderPage(req, res, 'participation/editor', {
        body,
        totals: { service: serviceTotal, sheet: sheetTotal },
        perService,
        latest: latest.map((r) => ({ ...r, title: titles.get(r.subject) ?? r.subject })),
      });
    },

    /** Every body's ratings, and the network's procedures', for the network admins. */
    async adminView(req: Request, res: Response) {
      const lang = langOf(res);
      const bodies = (await catalog.index.approvedBodies()).sort((a, b) =>
        a.name[lang].localeCompare(b.name[lang], lang),
      );
      const rows = await Promise.all(
        bodies.map(async (body) => ({
          ipaCode: body.ipaCode,
          name: body.name[lang],
          service: await store.total(body.ipaCode, 'service'),
          sheet: await store.total(body.ipaCode, 'sheet'),
        })),
      );
      const procedures = await Promise.all(
        deps.procedureIds().map(async (id) => ({
          id,
          title: deps.procedureTitles(id, lang) ?? id,
          summary: await store.summary({ kind: 'procedure', id }),
        })),
      );
      const network = {
        service: rows.reduce((sum, row) => addSummaries(sum, row.service), emptySummary()),
        sheet: rows.reduce((sum, row) => addSummaries(sum, row.sheet), emptySummary()),
        procedure: await store.total(undefined, 'procedure'),
      };
      res.set('Cache-Control', 'no-store');
      renderPage(req, res, 'participation/admin', {
        rows,
        procedures,
        totals: network,
        latest: await store.latest(undefined, 50),
      });
    },

    async openDataJson(_req: Request, res: Response) {
      res.json(ratingsJson(await openRows(), deps.publicUrl));
    },

    async openDataCsv(_req: Request, res: Response) {
      res.attachment('ratings.csv');
      res.type('text/csv; charset=utf-8').send(ratingsCsv(await openRows(), deps.publicUrl));
    },
  };
}

export type RatingsController = ReturnType<typeof createRatingsController>;
