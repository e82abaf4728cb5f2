import type { NextFunction, Request, Response } from 'express';
import type { CitizenIdentity, Level } from '../identity/citizen.ts';
import { requireLevel } from '../identity/step-up.ts';
import { NotFoundError } from '../platform/errors.ts';
import { renderPage } from '../platform/views.ts';
import { referenceOf, type CaseService } from './case.service.ts';
import type { ProcedureCatalogue } from './definitions.ts';
import type { DraftRepository } from './draft.repository.ts';
import { caseProgress, formatInstant, receiptByBody } from './journey.presenter.ts';
import { resumePath, resumeState } from './journey.ts';
import {
  bodyForms,
  bodyNames,
  citizenOf,
  progress,
  pageLanguage,
  type BodyNameLookup,
} from './page-context.ts';

type CaseRequest = Request<{ caseId: string }>;

/** The rating page of a case's use (`at`: when it was filed or finished); none once that use is closed. */
export type RatingPrompt = (use: {
  owner: string;
  procedureId: string;
  caseId: string;
  moment: 'filed' | 'finished';
  at: string;
}) => Promise<string | undefined>;

const CASES_IN_PERSONAL_AREA = 50;

/**
 * What follows a confirmation: the receipt, the case's progress step by step (HTML, or JSON for the
 * page's script), and the citizen's cases and unfinished forms in the personal area. A case is found
 * only through its owner: to anyone else it does not exist (404).
 */
export function createCasePagesController(deps: {
  procedures: ProcedureCatalogue;
  drafts: Pick<DraftRepository, 'get'>;
  cases: Pick<CaseService, 'caseOf' | 'outputs' | 'history'>;
  /** The citizen's case ids, newest first (the case repository's listByCitizen). */
  casesOf: (owner: string, limit: number) => Promise<string[]>;
  bodyName: BodyNameLookup;
  /**
   * Where the citizen is asked to rate the procedure once it is filed (the receipt) and once it finished
   * (the case page): the address of the rating page of that use, recorded on the way.
   */
  ratingPrompt?: RatingPrompt | undefined;
}) {
  const { procedures, drafts, cases } = deps;

  /** The case and its procedure, when the case belongs to the citizen; 404 otherwise (whoever else asks). */
  async function caseOf(citizen: CitizenIdentity, req: CaseRequest) {
    const record = await cases.caseOf(citizen.fiscalCode, req.params.caseId);
    const procedure = record && procedures.get(record.procedureId);
    if (!record || !procedure) throw new NotFoundError('case_not_found');
    return { record, procedure };
  }

  // The level a case's pages need at most: which procedure a case belongs to is known only once its
  // owner is logged in.
  /**
   * The rating prompt, or none: recording its use is a write, and the receipt must show even when Redis
   * refuses writes (a full Redis still serves reads), so a failure costs the prompt only.
   */
  const ratingHref = (
    record: { owner: string; procedureId: string; id: string; createdAt: string; updatedAt: string },
    moment: 'filed' | 'finished',
  ) =>
    deps
      .ratingPrompt?.({
        owner: record.owner,
        procedureId: record.procedureId,
        caseId: record.id,
        moment,
        at: moment === 'filed' ? record.createdAt : record.updatedAt,
      })
      .catch(() => undefined);

  const caseLevel = Math.max(1, ...procedures.list().map((p) => p.definition.loginLevel)) as Level;

  return {
    /**
     * Lets a logged-in citizen through (their case says which level it needs; caseStatus and receipt
     * step up if need be); a visitor not logged in is asked once for the level cases need, not for a
     * login and then a step-up.
     */
    requireCaseLogin(req: CaseRequest, res: Response, next: NextFunction) {
      if (req.session.citizen) return next();
      return requireLevel(caseLevel)(req, res, next);
    },

    /** The printable receipt: reference number, when, what was asked of which body. */
    async receipt(req: CaseRequest, res: Response, next: NextFunction) {
      const citizen = citizenOf(req);
      const { record, procedure } = await caseOf(citizen, req);
      if (citizen.level < procedure.definition.loginLevel)
        return requireLevel(procedure.definition.loginLevel)(req, res, next);
      const { lang, t } = pageLanguage(res);
      renderPage(req, res, 'procedures/receipt', {
        ratingHref: await ratingHref(record, 'filed'),
        procedure: procedure.definition,
        reference: referenceOf(record.id),
        caseId: record.id,
        filedAt: formatInstant(record.createdAt, lang),
        filedAtIso: record.createdAt,
        bodies: receiptByBody(procedure, await bodyNames(procedure, lang, deps.bodyName), lang, t),
      });
    },

    /** The case's progress, step by step; `?format=json` (or Accept: JSON) for the page's script. */
    async caseStatus(req: CaseRequest, res: Response, next: NextFunction) {
      const citizen = citizenOf(req);
      const { record, procedure } = await caseOf(citizen, req);
      if (citizen.level < procedure.definition.loginLevel)
        return requireLevel(procedure.definition.loginLevel)(req, res, next);
      const { lang, t } = pageLanguage(res);
      const names = await bodyNames(procedure, lang, deps.bodyName);
      const forms = await bodyForms(procedure, lang, deps.bodyName);
      const [outputs, history] = await Promise.all([cases.outputs(record), cases.history(record.id)]);
      const steps = caseProgress(procedure, record, outputs, history, names, lang);
      if (req.accepts(['html', 'json']) === 'json') {
        // For the page's script: states only, no personal data.
        res.json({
          status: record.status,
          updatedAt: record.updatedAt,
          steps: steps.map((s) => ({
            id: s.id,
            status: s.status,
            label: t(`procedures.stepStatus.${s.status}`),
          })),
        });
        return;
      }
      renderPage(req, res, 'procedures/case', {
        ratingHref: record.status === 'open' ? undefined : await ratingHref(record, 'finished'),
        procedure: procedure.definition,
        reference: referenceOf(record.id),
        caseId: record.id,
        status: record.status,
        filedAt: formatInstant(record.createdAt, lang),
        updatedAt: formatInstant(record.updatedAt, lang),
        updatedAtIso: record.updatedAt,
        steps: steps.map((s) => ({
          ...s,
          atText: formatInstant(s.at, lang),
          bodyForms: forms.get(procedure.step(s.id)?.body ?? ''),
        })),
        purged:
          record.status !== 'open' && steps.some((s) => s.status === 'completed' && s.outputs.length === 0),
      });
    },

    /** The personal area's section of the citizen's cases and unfinished forms (the page is identity's). */
    async personalArea(req: Request, res: Response) {
      const citizen = citizenOf(req);
      const { lang } = pageLanguage(res);
      const caseRecords = async () => {
        const ids = await deps.casesOf(citizen.fiscalCode, CASES_IN_PERSONAL_AREA);
        return Promise.all(ids.map((id) => cases.caseOf(citizen.fiscalCode, id)));
      };
      const [records, draftList] = await Promise.all([
        caseRecords(),
        Promise.all(
          procedures.list().map(async (procedure) => ({
            procedure,
            draft: await drafts.get(citizen.fiscalCode, procedure.definition.id),
          })),
        ),
      ]);
      res.locals.procedureCases = {
        cases: records.flatMap((record) => {
          const procedure = record && procedures.get(record.procedureId);
          if (!record || !procedure) return [];
          return [
            {
              reference: referenceOf(record.id),
              href: `/cases/${record.id}`,
              title: procedure.definition.title[lang],
              filedAt: formatInstant(record.createdAt, lang),
              filedAtIso: record.createdAt,
              status: record.status,
            },
          ];
        }),
        drafts: draftList.flatMap(({ procedure, draft }) =>
          draft
            ? [
                {
                  title: procedure.definition.title[lang],
                  href: resumePath(procedure.definition.id),
                  progress: progress(procedure, resumeState(procedure.definition, draft)),
                },
              ]
            : [],
        ),
      };
    },
  };
}

export type CasePagesController = ReturnType<typeof createCasePagesController>;
