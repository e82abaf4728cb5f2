import { Router, type RequestHandler } from 'express';
import type { ApiController } from './api.controller.ts';
import type { EndpointApiController } from './endpoint-api.controller.ts';

/**
 * The registration API (JSON, problem+json errors, CSRF-exempt: it authenticates with credentials).
 * Each route names its guards, so other APIs under /api/v1 are not affected.
 */
export function apiRoutes(
  controller: ApiController,
  endpoints: EndpointApiController,
  authenticate: RequestHandler,
  limit: RequestHandler,
): Router {
  const router = Router();
  const guarded = [limit, authenticate];
  router.get('/api/v1/openapi.json', limit, controller.openApi);
  router.get('/api/v1/body', guarded, controller.body);
  router.put('/api/v1/body', guarded, controller.putBody);
  router.get('/api/v1/services', guarded, controller.list);
  router.get('/api/v1/services/:serviceId', guarded, controller.get);
  router.put('/api/v1/services/:serviceId', guarded, controller.put);
  router.post('/api/v1/services/:serviceId/publish', guarded, controller.publish);
  router.post('/api/v1/services/:serviceId/withdraw', guarded, controller.withdraw);
  router.get('/api/v1/endpoints', guarded, endpoints.list);
  router.get('/api/v1/endpoints/:endpointId', guarded, endpoints.get);
  router.put('/api/v1/endpoints/:endpointId', guarded, endpoints.put);
  router.post('/api/v1/endpoints/:endpointId/disable', guarded, endpoints.disable);
  router.post('/api/v1/endpoints/:endpointId/enable', guarded, endpoints.enable);
  return router;
}
