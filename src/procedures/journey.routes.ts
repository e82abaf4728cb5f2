import { Router, type RequestHandler } from 'express';
import type { CasePagesController } from './case-pages.controller.ts';
import type { JourneyController } from './journey.controller.ts';

/**
 * The citizen's pages of composite procedures (GET /procedures/:procedureId starts one,
 * GET /cases/:caseId follows a case). Every POST goes to a path that also answers GET, so a citizen
 * sent to log in on the way comes back to a page.
 */
export function journeyRoutes(
  journey: JourneyController,
  cases: CasePagesController,
  formLimit: RequestHandler,
): Router {
  const level = journey.requireProcedureLevel;
  const router = Router();
  router.get('/procedures/:procedureId', journey.start);
  router.post('/procedures/:procedureId', formLimit, level, journey.discard);
  router.get('/procedures/:procedureId/resume', level, journey.resume);
  router.get('/procedures/:procedureId/pages/:pageId', level, journey.showPage);
  router.post('/procedures/:procedureId/pages/:pageId', formLimit, level, journey.savePage);
  router.get('/procedures/:procedureId/preview', level, journey.preview);
  router.post('/procedures/:procedureId/preview', formLimit, level, journey.confirm);
  router.get('/cases/:caseId', cases.requireCaseLogin, cases.caseStatus);
  router.get('/cases/:caseId/receipt', cases.requireCaseLogin, cases.receipt);
  return router;
}
