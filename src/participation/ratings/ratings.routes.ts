import { Router, type RequestHandler } from 'express';
import { requireCitizen } from '../../identity/identity.controller.ts';
import type { RatingsController } from './ratings.controller.ts';

/** The rating pages, the editors' and admins' views and the open data. */
export function ratingsRoutes(
  controller: RatingsController,
  guards: { formLimit: RequestHandler; sheetLimits: RequestHandler[]; admin: RequestHandler[] },
): Router {
  const router = Router();
  router.get('/me/ratings/:useId', requireCitizen, controller.showUse);
  router.post('/me/ratings/:useId', guards.formLimit, requireCitizen, controller.rateUse);
  router.get('/services/:serviceId/clarity', controller.showSheetForm);
  router.post('/services/:serviceId/clarity', ...guards.sheetLimits, controller.rateSheet);
  router.get('/editor/bodies/:ipaCode/ratings', requireCitizen, controller.editorView);
  router.get('/admin/ratings', ...guards.admin, controller.adminView);
  router.get('/ratings.json', controller.openDataJson);
  router.get('/ratings.csv', controller.openDataCsv);
  return router;
}
