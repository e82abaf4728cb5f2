import { Router, type RequestHandler } from 'express';
import { requireCitizen } from '../identity/identity.controller.ts';
import type { CitizenUpdatesController } from './citizen-updates.controller.ts';

/** A citizen's e-mail for news of their cases: given and removed from /me, confirmed by a link. */
export function mailRoutes(controller: CitizenUpdatesController, formLimit: RequestHandler): Router {
  const router = Router();
  router.post('/me/email', formLimit, requireCitizen, controller.request);
  router.post('/me/email/remove', formLimit, requireCitizen, controller.remove);
  router.get('/me/email/confirm', formLimit, controller.showConfirm);
  router.post('/me/email/confirm', formLimit, controller.confirm);
  return router;
}
