import { z } from 'zod';

/**
 * A body's report about a step, in the answer to a delivery or later through
 * POST /api/v1/cases/:caseId/steps/:stepId/result. Outputs are checked against the step's declaration.
 */
export const stepReportSchema = z
  .strictObject({
    status: z.enum(['accepted', 'completed', 'rejected']),
    outputs: z
      .record(z.string().regex(/^[a-z][A-Za-z0-9]{0,47}$/), z.string().max(500))
      .refine((o) => Object.keys(o).length <= 20, 'at most 20 outputs')
      .optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .refine((r) => r.status !== 'rejected' || r.reason !== undefined, {
    message: 'a rejection needs a reason',
    path: ['reason'],
  });

export type StepReportInput = z.infer<typeof stepReportSchema>;
