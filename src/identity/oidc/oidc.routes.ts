import { Router, type RequestHandler } from 'express';
import type { OidcController } from './oidc.controller.ts';

export function oidcRoutes(controller: OidcController, loginLimit: RequestHandler): Router {
  const router = Router();
  router.get('/oidc/login/:provider', loginLimit, controller.login);
  router.get('/oidc/callback/:provider', loginLimit, controller.callback);
  return router;
}
