import { Router, type RequestHandler } from 'express';
import type { SpidController } from './spid.controller.ts';

export function spidRoutes(controller: SpidController, loginLimit: RequestHandler): Router {
  const router = Router();
  router.get('/spid/metadata', controller.metadata);
  router.get('/spid/login', loginLimit, controller.login);
  router.post('/spid/acs', loginLimit, controller.acs);
  router.get('/spid/slo', loginLimit, controller.slo);
  router.post('/spid/slo', loginLimit, controller.sloPost);
  // The login page (identity controller) renders the SPID button from this local.
  router.get('/login', controller.buttonLocals);
  return router;
}
