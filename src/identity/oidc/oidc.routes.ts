import { Router } from 'express';
import type { LoginLimits } from '../login-limits.ts';
import type { OidcController } from './oidc.controller.ts';

export function oidcRoutes(controller: OidcController, limits: LoginLimits): Router {
  const router = Router();
  router.get('/oidc/login/:provider', limits.start, controller.login);
  router.get('/oidc/callback/:provider', limits.providerReturn, controller.callback);
  return router;
}
