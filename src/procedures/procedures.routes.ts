import { Router, type RequestHandler } from 'express';
import type { DeadLettersController } from './dead-letters.controller.ts';
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

/** The network admin's dead-letter list (/admin area: a page and a CSRF-protected retry form). */
export function deadLetterRoutes(
  controller: DeadLettersController,
  guards: { admin: RequestHandler[]; formLimit: RequestHandler },
): Router {
  const { admin, formLimit } = guards;
  const router = Router();
  router.get('/admin/deliveries', admin, controller.list);
  router.post('/admin/deliveries/retry', formLimit, admin, controller.retry);
  return router;
}
