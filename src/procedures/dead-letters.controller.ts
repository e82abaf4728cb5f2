import type { Request, Response } from 'express';
import { z } from 'zod';
import { parseInput } from '../catalog/validation.ts';
import { NotFoundError } from '../platform/errors.ts';
import { renderPage } from '../platform/views.ts';
import { referenceOf } from './case.service.ts';
import type { DeliveryQueues } from './delivery-queue.ts';

const retrySchema = z.strictObject({
  _csrf: z.string(),
  queue: z.string().regex(/^deliver-[a-z0-9_]{2,32}-[a-z0-9][a-z0-9-]{1,63}$/),
  id: z.string().regex(/^[0-9A-Z]{16}\.[a-z][a-z0-9-]{0,47}$/),
});

/**
 * The network admin's view of deliveries that failed their last attempt (the dead-letter list), with
 * a retry that gives a delivery a fresh round of attempts (behind the admins' guard, procedures.routes.ts).
 */
export function createDeadLettersController(deps: { queues: DeliveryQueues }) {
  return {
    async list(req: Request, res: Response) {
      const letters = (await deps.queues.deadLetters()).map((letter) => ({
        ...letter,
        reference: referenceOf(letter.job.caseId),
      }));
      renderPage(req, res, 'registry/admin/deliveries', { letters, retried: req.query.retried === '1' });
    },

    async retry(req: Request, res: Response) {
      const form = parseInput(retrySchema, req.body, 400);
      if (!(await deps.queues.retry(form.queue, form.id))) throw new NotFoundError('dead_letter_not_found');
      res.redirect(303, '/admin/deliveries?retried=1');
    },
  };
}

export type DeadLettersController = ReturnType<typeof createDeadLettersController>;
