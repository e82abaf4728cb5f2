import type { Request, Response } from 'express';
import { z } from 'zod';
import { parseInput } from '../catalog/validation.ts';
import { ForbiddenError, NotFoundError } from '../platform/errors.ts';
import { authenticatedBody } from '../registry/api/api-auth.ts';
import type { CaseService } from './case.service.ts';
import type { ProcedureCatalogue } from './definitions.ts';
import { stepReportResultSchema, stepReportSchema } from './report.schema.ts';

const caseId = z.string().regex(/^[0-9A-Z]{16}$/);
const stepId = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/);

/**
 * POST /api/v1/cases/:caseId/steps/:stepId/result: a body reports a step it received. Only the body
 * whose endpoint handles the step may report it; a body with no step in the case gets the same 404 as
 * a case that does not exist (case ids are not revealed to bodies that never received them).
 */
export function createReportController(deps: { cases: CaseService; procedures: ProcedureCatalogue }) {
  return {
    async report(req: Request<{ caseId: string; stepId: string }>, res: Response) {
      const body = authenticatedBody(res);
      const id = parseInput(caseId, req.params.caseId, 404);
      const step = parseInput(stepId, req.params.stepId, 404);
      const record = await deps.cases.get(id);
      const procedure = record && deps.procedures.get(record.procedureId);
      if (!record || !procedure || !procedure.definition.steps.some((s) => s.body === body))
        throw new NotFoundError('case_not_found');
      const definition = procedure.step(step);
      if (!definition) throw new NotFoundError('step_not_found');
      if (definition.body !== body) throw new ForbiddenError('not_your_step');
      const report = parseInput(stepReportSchema, req.body);
      const result = await deps.cases.report(id, step, report);
      res.json(
        stepReportResultSchema.parse({ case: id, step, status: result.status, changed: result.changed }),
      );
    },
  };
}

export type ReportController = ReturnType<typeof createReportController>;
