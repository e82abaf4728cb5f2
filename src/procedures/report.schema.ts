import { z } from 'zod';
import { STEP_STATUSES } from './step-state.ts';

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * A body's report about a step, in the answer to a delivery or later through
 * POST /api/v1/cases/:caseId/steps/:stepId/result. Outputs are checked against the step's declaration.
 */
export const stepReportSchema = z
  .strictObject({
    status: z.enum(['accepted', 'completed', 'rejected']),
    // zod's record leaves a "__proto__" key out without a word: refused here like any other undeclared name.
    outputs: z
      .preprocess(
        (raw, ctx) => {
          if (isObject(raw) && Object.hasOwn(raw, '__proto__'))
            ctx.addIssue({ code: 'custom', message: 'unknown output "__proto__"', input: raw });
          return raw;
        },
        z
          .record(z.string().regex(/^[a-z][A-Za-z0-9]{0,47}$/), z.string().max(500))
          .refine((o) => Object.keys(o).length <= 20, 'at most 20 outputs'),
      )
      .optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .refine((r) => r.status !== 'rejected' || r.reason !== undefined, {
    message: 'a rejection needs a reason',
    path: ['reason'],
  });

export type StepReportInput = z.infer<typeof stepReportSchema>;

/** The answer to a report: the step's status after it, and whether the report changed anything. */
export const stepReportResultSchema = z.strictObject({
  case: z.string().regex(/^[0-9A-Z]{16}$/),
  step: z.string(),
  status: z.enum(STEP_STATUSES),
  changed: z.boolean(),
});
