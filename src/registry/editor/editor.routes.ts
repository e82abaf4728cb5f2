import { Router, type RequestHandler } from 'express';
import { requireCitizen } from '../../identity/identity.controller.ts';
import type { BodyPagesController } from './body-pages.controller.ts';
import type { EndpointPagesController } from './endpoint-pages.controller.ts';
import type { ServicePagesController } from './service-pages.controller.ts';

/**
 * A body's editors (/editor): their bodies' profiles, services and endpoints, as forms with CSRF tokens.
 * Each controller also checks that the citizen edits that body.
 */
export function editorRoutes(
  controllers: {
    services: ServicePagesController;
    bodies: BodyPagesController;
    endpoints: EndpointPagesController;
  },
  formLimit: RequestHandler,
): Router {
  const { services, bodies, endpoints } = controllers;
  const router = Router();
  router.get('/editor', requireCitizen, services.editorHome);
  router.post('/editor/services/:serviceId/status', formLimit, requireCitizen, services.editorSetStatus);
  router.get('/editor/bodies/:ipaCode/profile', requireCitizen, bodies.form);
  router.post('/editor/bodies/:ipaCode/profile', formLimit, requireCitizen, bodies.save);
  router.get('/editor/bodies/:ipaCode/services/new', requireCitizen, services.editorForm);
  router.get('/editor/bodies/:ipaCode/services/:serviceId/edit', requireCitizen, services.editorForm);
  router.post('/editor/bodies/:ipaCode/services', formLimit, requireCitizen, services.editorSave);
  router.get('/editor/bodies/:ipaCode/endpoints/new', requireCitizen, endpoints.form);
  router.get('/editor/bodies/:ipaCode/endpoints/:endpointId/edit', requireCitizen, endpoints.form);
  router.post('/editor/bodies/:ipaCode/endpoints', formLimit, requireCitizen, endpoints.save);
  router.post(
    '/editor/bodies/:ipaCode/endpoints/:endpointId/status',
    formLimit,
    requireCitizen,
    endpoints.setStatus,
  );
  return router;
}
