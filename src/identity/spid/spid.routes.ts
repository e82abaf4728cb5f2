import { Router } from 'express';
import type { LoginLimits } from '../login-limits.ts';
import type { SpidController } from './spid.controller.ts';

export function spidRoutes(controller: SpidController, limits: LoginLimits): Router {
  const router = Router();
  router.get('/spid/metadata', controller.metadata);
  router.get('/spid/login', limits.start, controller.login);
  router.post('/spid/acs', limits.providerReturn, controller.acs);
  router.get('/spid/slo', limits.providerReturn, controller.slo);
  router.post('/spid/slo', limits.providerReturn, controller.sloPost);
  // The login page (identity controller) renders the SPID button from this local.
  router.get('/login', controller.buttonLocals);
  return router;
}
