import { Router, type RequestHandler } from 'express';
import { requireCitizen, type IdentityController } from './identity.controller.ts';
import { LOGGED_OUT_PATH, loggedOutPage } from './logged-out.ts';

export function identityRoutes(controller: IdentityController, formLimit: RequestHandler): Router {
  const router = Router();
  router.get('/login', controller.loginPage);
  router.post('/logout', formLimit, controller.logout);
  router.get(LOGGED_OUT_PATH, loggedOutPage);
  router.get('/me', requireCitizen, controller.personalArea);
  router.post('/me/sessions/end-others', formLimit, requireCitizen, controller.endOtherSessions);
  router.post('/me/sessions/end-all', formLimit, requireCitizen, controller.endAllSessions);
  router.post('/me/sessions/:handle/end', formLimit, requireCitizen, controller.endSession);
  return router;
}
