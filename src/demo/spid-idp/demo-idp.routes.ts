import { Router } from 'express';
import type { createDemoIdpController } from './demo-idp.controller.ts';

/** The demo SPID IdP's pages; mounted only in demo mode (never in production). */
export function demoIdpRoutes(controller: ReturnType<typeof createDemoIdpController>): Router {
  const router = Router();
  router.get('/demo/spid-idp', controller.metadata);
  router.get('/demo/spid-idp/metadata', controller.metadata);
  router.get('/demo/spid-idp/sso', controller.sso);
  router.post('/demo/spid-idp/login', controller.login);
  router.get('/demo/spid-idp/slo', controller.slo);
  return router;
}
