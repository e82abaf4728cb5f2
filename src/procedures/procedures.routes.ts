import { Router, type RequestHandler } from 'express';
import { DELIVERY_KEYS_PATH, type DeliverySigner } from './delivery-signer.ts';
import type { ReportController } from './report.controller.ts';

/** The gateway's public delivery keys (a JWK Set), for bodies to verify deliveries. Cacheable for an hour. */
export function deliveryKeysRoutes(signer: DeliverySigner): Router {
  const router = Router();
  router.get(DELIVERY_KEYS_PATH, (_req, res) => {
    res.set('cache-control', 'public, max-age=3600').type('application/jwk-set+json').json(signer.jwks);
  });
  return router;
}

/** The procedure-step API for bodies (JSON, problem+json errors, body credentials, rate limited). */
export function reportApiRoutes(
  controller: ReportController,
  authenticate: RequestHandler,
  limit: RequestHandler,
): Router {
  const router = Router();
  router.post('/api/v1/cases/:caseId/steps/:stepId/result', limit, authenticate, controller.report);
  return router;
}
