import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { requireLevel } from '../identity/step-up.ts';
import type { Language } from '../platform/i18n.ts';
import { AppError, BadRequestError, NotFoundError } from '../platform/errors.ts';
import { renderPage } from '../platform/views.ts';
import type { CaseRecord } from './case.repository.ts';
import {
  caseIdForSubmission,
  ProcedureUnavailableError,
  referenceOf,
  type CaseService,
} from './case.service.ts';
import type { ConfirmationRepository } from './confirmation.repository.ts';
import type { PageDefinition } from './definition.schema.ts';
import type { Procedure, ProcedureCatalogue } from './definitions.ts';
import type { DraftRepository } from './draft.repository.ts';
import { italianToday, validatePage, type FieldError, type FormValues } from './form.ts';
import {
  draftTexts,
  formatInstant,
  inputId,
  pageFields,
  postedTexts,
  previewByBody,
} from './journey.presenter.ts';
import {
  emptyDraft,
  isAllowed,
  journeyTable,
  resumePath,
  resumeState,
  statePath,
  type Draft,
  type JourneyState,
} from './journey.ts';
import { bodyNames, citizenOf, progress, pageLanguage, type BodyNameLookup } from './page-context.ts';

type ProcedureRequest = Request<{ procedureId: string; pageId?: string }>;

const ACTIONS = ['next', 'back', 'save'] as const;
type Action = (typeof ACTIONS)[number];
const SUBMISSION = /^[A-Za-z0-9_-]{22}$/;

const formOf = (req: Request): Record<string, unknown> =>
  typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};

/**
 * The draft's values checked again as they would be posted today: a date bound such as "within the
 * last 10 days" moves, so a draft saved a while ago may no longer hold. Returns the parsed values and
 * the first page that no longer passes.
 */
function recheck(procedure: Procedure, draft: Draft, today: string) {
  const values: FormValues = {};
  for (const page of procedure.definition.form.pages) {
    const checked = validatePage(page, draftTexts(page, draft.values), today);
    if (checked.errors.length > 0) return { values, invalidPage: page };
    Object.assign(values, checked.values);
  }
  return { values };
}

/**
 * The citizen's way through a composite procedure's form: the start page, one page
 * per form page, the preview of what each body receives and the confirmation, which files the case.
 * The journey's rules are journey.ts's state machine; the case's are the case service's. What follows
 * the confirmation (receipt, progress, personal area) is case-pages.controller.ts.
 */
/** A step of the journey, as the usage statistics count it: a procedure and a page, never a citizen. */
export type JourneyListener = (
  event: { procedure: string; stage: 'started' | 'confirmed' } | { procedure: string; page: string },
) => void;

export function createJourneyController(deps: {
  procedures: ProcedureCatalogue;
  drafts: DraftRepository;
  confirmations: ConfirmationRepository;
  cases: Pick<CaseService, 'confirm' | 'caseOf' | 'earlierSameCase'>;
  bodyName: BodyNameLookup;
  /** How long a draft is kept after its last save. */
  draftSeconds: number;
  /** Told where citizens are in a procedure, without who they are (the usage statistics). */
  journeyMoved?: JourneyListener;
  now?: () => Date;
}) {
  const { procedures, drafts, confirmations, cases } = deps;
  const now = deps.now ?? (() => new Date());

  function procedureOf(req: ProcedureRequest): Procedure {
    const procedure = procedures.get(req.params.procedureId);
    if (!procedure) throw new NotFoundError('procedure_not_found');
    return procedure;
  }

  function pageOf(procedure: Procedure, req: ProcedureRequest): PageDefinition {
    const page = procedure.definition.form.pages.find((p) => p.id === req.params.pageId);
    if (!page) throw new NotFoundError('page_not_found');
    return page;
  }

  const draftOf = async (owner: string, procedure: Procedure) =>
    (await drafts.get(owner, procedure.definition.id)) ?? emptyDraft();

  const resume = (res: Response, procedure: Procedure, draft: Draft) =>
    res.redirect(303, statePath(procedure.definition.id, resumeState(procedure.definition, draft)));

  function renderForm(
    req: ProcedureRequest,
    res: Response,
    procedure: Procedure,
    page: PageDefinition,
    texts: Record<string, string>,
    errors: readonly FieldError[],
  ) {
    const { lang, t } = pageLanguage(res);
    const state: JourneyState = `page:${page.id}`;
    const fields = pageFields(page, texts, errors, lang, t);
    renderPage(req, res, 'procedures/page', {
      procedure: procedure.definition,
      page,
      fields,
      summary: fields.flatMap((f) =>
        f.error ? [{ href: `#${inputId(f.field)}`, message: `${f.label}: ${f.error}` }] : [],
      ),
      progress: progress(procedure, state),
      action: statePath(procedure.definition.id, state),
      first: journeyTable(procedure.definition).get(state)?.back === undefined,
    });
  }

  /**
   * Renders the preview; with `missing`, as the answer to a confirmation without the declaration's tick
   * or, when the values repeat an earlier case (`earlier`), without the tick that files it anyway.
   */
  async function renderPreview(
    req: ProcedureRequest,
    res: Response,
    procedure: Procedure,
    draft: Draft & { submission: string },
    values: FormValues,
    earlier: CaseRecord | undefined,
    missing: { confirmation?: boolean; repeat?: boolean } = {},
  ) {
    const { lang, t } = pageLanguage(res);
    const names = await bodyNames(procedure, lang, deps.bodyName);
    const id = procedure.definition.id;
    renderPage(req, res, 'procedures/preview', {
      procedure: procedure.definition,
      bodies: previewByBody(procedure, values, citizenOf(req), names, lang, t),
      pages: procedure.definition.form.pages.map((page) => ({
        title: page.title[lang],
        href: statePath(id, `page:${page.id}`),
      })),
      progress: progress(procedure, 'preview'),
      submission: draft.submission,
      action: statePath(id, 'preview'),
      missingConfirmation: missing.confirmation === true,
      missingRepeat: missing.repeat === true,
      earlier: earlier && {
        id: earlier.id,
        href: `/cases/${earlier.id}`,
        reference: referenceOf(earlier.id),
        filedAt: formatInstant(earlier.createdAt, lang),
      },
    });
  }

  return {
    /** Lets the citizen in at the level the procedure's definition asks for (step-up otherwise). */
    requireProcedureLevel(req: ProcedureRequest, res: Response, next: NextFunction) {
      requireLevel(procedureOf(req).definition.loginLevel)(req, res, next);
    },

    /** The procedures on offer, for the home page (rendered by the catalog), each with its start page. */
    homeLocals(lang: Language) {
      return {
        procedureLinks: procedures.list().map(({ definition }) => ({
          title: definition.title[lang],
          description: definition.description[lang],
          href: `/procedures/${definition.id}`,
        })),
      };
    },

    /** What the procedure does, which bodies take part, what the citizen needs; start or resume. */
    async start(req: ProcedureRequest, res: Response) {
      const procedure = procedureOf(req);
      const { definition } = procedure;
      const { lang } = pageLanguage(res);
      const citizen = req.session.citizen;
      // A session below the procedure's level still sees that a draft waits (its progress, no data):
      // the button logs in at the level needed and comes back where the draft was.
      const draft = citizen ? await drafts.get(citizen.fiscalCode, definition.id) : undefined;
      const names = await bodyNames(procedure, lang, deps.bodyName);
      const resumeAt = draft && resumeState(definition, draft);
      renderPage(req, res, 'procedures/start', {
        procedure: definition,
        bodies: [...names].map(([ipa, name]) => ({
          name,
          steps: procedure.order.filter((s) => s.body === ipa).map((s) => s.title[lang]),
        })),
        pages: definition.form.pages.map((page) => ({
          title: page.title[lang],
          fields: page.fields.map((f) => f.label[lang]),
        })),
        firstHref: statePath(definition.id, resumeState(definition, emptyDraft())),
        // Through the login first: once in, the draft is looked up again for whoever logged in.
        resumeHref: resumePath(definition.id),
        draft: resumeAt && {
          href: statePath(definition.id, resumeAt),
          progress: progress(procedure, resumeAt),
        },
        draftDays: Math.round(deps.draftSeconds / 86_400),
        notice: ['saved', 'discarded'].includes(String(req.query.notice)) ? req.query.notice : undefined,
      });
    },

    /**
     * Where the citizen's draft stands (the first page not yet complete, or the preview), the first page
     * without one: the target of links that may pass through a login first (the personal area's, the
     * start page's for a visitor not yet at the procedure's level).
     */
    async resume(req: ProcedureRequest, res: Response) {
      const procedure = procedureOf(req);
      resume(res, procedure, await draftOf(citizenOf(req).fiscalCode, procedure));
    },

    /** Throws the draft away (the start page's "start again"). */
    async discard(req: ProcedureRequest, res: Response) {
      const procedure = procedureOf(req);
      if (formOf(req).action !== 'discard') throw new BadRequestError('unknown_action');
      await drafts.remove(citizenOf(req).fiscalCode, procedure.definition.id);
      res.redirect(303, `/procedures/${procedure.definition.id}?notice=discarded`);
    },

    /** One page of the form, filled with the draft; `?check=1` shows what no longer passes. */
    async showPage(req: ProcedureRequest, res: Response) {
      const procedure = procedureOf(req);
      const page = pageOf(procedure, req);
      const draft = await draftOf(citizenOf(req).fiscalCode, procedure);
      if (!isAllowed(procedure.definition, draft, `page:${page.id}`)) return resume(res, procedure, draft);
      const texts = draftTexts(page, draft.values);
      const errors = req.query.check === '1' ? validatePage(page, texts, italianToday(now())).errors : [];
      renderForm(req, res, procedure, page, texts, errors);
    },

    /**
     * A page posted: "next" needs every field valid; "back" and "save" keep what is valid and let
     * required fields wait, but a value that is wrong is shown, never dropped silently. A refused page
     * answers 400 and changes nothing.
     */
    async savePage(req: ProcedureRequest, res: Response) {
      const procedure = procedureOf(req);
      const page = pageOf(procedure, req);
      const { definition } = procedure;
      const owner = citizenOf(req).fiscalCode;
      const draft = await draftOf(owner, procedure);
      const state: JourneyState = `page:${page.id}`;
      if (!isAllowed(definition, draft, state)) return resume(res, procedure, draft);
      const form = formOf(req);
      const action = (form.action ?? 'next') as Action;
      if (!ACTIONS.includes(action)) throw new BadRequestError('unknown_action');

      const { values, errors } = validatePage(page, form, italianToday(now()));
      const blocking = action === 'next' ? errors : errors.filter((e) => e.code !== 'required');
      if (blocking.length > 0) {
        res.status(400);
        return renderForm(req, res, procedure, page, postedTexts(page, form), blocking);
      }
      const own = new Set(page.fields.map((f) => f.id));
      const fresh = draft.completed.length === 0 && Object.keys(draft.values).length === 0;
      await drafts.save(owner, definition.id, {
        ...draft,
        values: {
          ...Object.fromEntries(Object.entries(draft.values).filter(([id]) => !own.has(id))),
          ...values,
        },
        completed: [...draft.completed.filter((id) => id !== page.id), ...(errors.length ? [] : [page.id])],
      });
      if (fresh) deps.journeyMoved?.({ procedure: definition.id, stage: 'started' });
      if (errors.length === 0 && action === 'next')
        deps.journeyMoved?.({ procedure: definition.id, page: page.id });
      const transition = journeyTable(definition).get(state);
      const target =
        action === 'save'
          ? `/procedures/${definition.id}?notice=saved`
          : action === 'back'
            ? transition?.back
              ? statePath(definition.id, transition.back)
              : `/procedures/${definition.id}`
            : statePath(definition.id, transition?.next ?? 'preview');
      res.redirect(303, target);
    },

    /** Exactly what each body will receive, and the confirmation form. */
    async preview(req: ProcedureRequest, res: Response) {
      const procedure = procedureOf(req);
      const owner = citizenOf(req).fiscalCode;
      const draft = await draftOf(owner, procedure);
      const { definition } = procedure;
      if (!isAllowed(definition, draft, 'preview')) return resume(res, procedure, draft);
      const { values, invalidPage } = recheck(procedure, draft, italianToday(now()));
      if (invalidPage)
        return res.redirect(303, `${statePath(definition.id, `page:${invalidPage.id}`)}?check=1`);
      const submission = draft.submission ?? randomBytes(16).toString('base64url');
      if (!draft.submission) await drafts.save(owner, definition.id, { ...draft, submission });
      const earlier = await cases.earlierSameCase(
        procedure,
        owner,
        values,
        caseIdForSubmission(owner, submission),
      );
      await renderPreview(req, res, procedure, { ...draft, submission }, values, earlier);
    },

    /**
     * The explicit confirmation: files the case once per draft, however often it is posted, and
     * sends the citizen to the receipt.
     */
    async confirm(req: ProcedureRequest, res: Response) {
      const procedure = procedureOf(req);
      const { definition } = procedure;
      const citizen = citizenOf(req);
      const owner = citizen.fiscalCode;
      const form = formOf(req);
      const token = typeof form.submission === 'string' ? form.submission : '';
      if (!SUBMISSION.test(token)) throw new BadRequestError('submission_invalid');
      const receipt = (caseId: string) => res.redirect(303, `/cases/${caseId}/receipt`);

      const draft = await drafts.get(owner, definition.id);
      if (draft?.submission !== token) {
        // Already filed (a repeated click after the draft went), or a form from a draft thrown away. The
        // case's id is fixed by the token: found even when its confirmation record could not be written.
        const filed =
          (await cases.caseOf(owner, caseIdForSubmission(owner, token)))?.id ??
          (await confirmations.caseFiledUnder(owner, token));
        return filed ? receipt(filed) : res.redirect(303, `/procedures/${definition.id}`);
      }
      const submitted = { ...draft, submission: token };
      if (!isAllowed(definition, draft, 'preview')) return resume(res, procedure, draft);
      const { values, invalidPage } = recheck(procedure, draft, italianToday(now()));
      if (invalidPage)
        return res.redirect(303, `${statePath(definition.id, `page:${invalidPage.id}`)}?check=1`);
      // A case that looks like one filed earlier is filed only with the tick that names that case.
      const earlier = await cases.earlierSameCase(
        procedure,
        owner,
        values,
        caseIdForSubmission(owner, token),
      );
      const missing = {
        confirmation: form.confirmed !== 'yes',
        repeat: earlier !== undefined && form.repeatOf !== earlier.id,
      };
      if (missing.confirmation || missing.repeat) {
        res.status(400);
        return renderPreview(req, res, procedure, submitted, values, earlier, missing);
      }

      if (!(await confirmations.claim(owner, token))) {
        const filed = await confirmations.caseFiledUnder(owner, token);
        if (filed) return receipt(filed);
        throw new AppError(409, 'confirmation_in_progress', undefined, {
          page: {
            titleKey: 'procedures.inProgress.title',
            messageKey: 'procedures.inProgress.message',
            action: { href: '/me#cases', labelKey: 'procedures.inProgress.cases' },
          },
        });
      }
      const caseId = caseIdForSubmission(owner, token);
      let record: CaseRecord;
      try {
        record = await cases.confirm(procedure, citizen, values, {
          id: caseId,
          declaredIn: pageLanguage(res).lang,
        });
      } catch (error) {
        return confirmationFailed(procedure, owner, token, caseId, error, receipt);
      }
      await afterFiling(owner, token, record.id, definition.id);
      deps.journeyMoved?.({ procedure: definition.id, stage: 'confirmed' });
      receipt(record.id);
    },
  };

  /** Records the filed case for repeated confirmations and drops the draft; the case is filed whatever happens here. */
  async function afterFiling(owner: string, token: string, caseId: string, procedureId: string) {
    await confirmations.settle(owner, token, caseId).catch(() => undefined);
    await drafts.remove(owner, procedureId).catch(() => undefined);
  }

  /**
   * Filing failed somewhere: before anything was written, or after the case was (its deliveries not yet
   * queued; the recovery sweep queues them). The case id is fixed by the submission, so looking it up
   * tells which: a filed case sends the citizen to its receipt, never to an error; when Redis cannot
   * even be asked, the page says the outcome is unknown and where to look (confirming again never files
   * twice). Only a failure known to have filed nothing gives the token back.
   */
  async function confirmationFailed(
    procedure: Procedure,
    owner: string,
    token: string,
    caseId: string,
    error: unknown,
    receipt: (caseId: string) => void,
  ) {
    let filed: CaseRecord | undefined;
    try {
      filed = await cases.caseOf(owner, caseId);
    } catch (lookupError) {
      throw new AppError(503, 'confirmation_outcome_unknown', undefined, {
        cause: new AggregateError([error, lookupError], 'filing failed and its outcome is unknown'),
        page: {
          titleKey: 'procedures.outcomeUnknown.title',
          messageKey: 'procedures.outcomeUnknown.message',
          action: { href: '/me#cases', labelKey: 'procedures.outcomeUnknown.cases' },
        },
      });
    }
    if (filed) {
      await afterFiling(owner, token, filed.id, procedure.definition.id);
      return receipt(filed.id);
    }
    await confirmations.release(owner, token).catch(() => undefined);
    if (error instanceof ProcedureUnavailableError)
      throw new AppError(503, error.code, error.message, {
        cause: error,
        page: {
          titleKey: 'procedures.unavailable.title',
          messageKey: 'procedures.unavailable.message',
          action: {
            href: statePath(procedure.definition.id, 'preview'),
            labelKey: 'procedures.unavailable.back',
          },
        },
      });
    throw error;
  }
}

export type JourneyController = ReturnType<typeof createJourneyController>;
