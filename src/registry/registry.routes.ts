import { Router, type RequestHandler } from 'express';
import { requireCitizen } from '../identity/identity.controller.ts';
import type { BodyPagesController } from './body-pages.controller.ts';
import type { EndpointPagesController } from './endpoint-pages.controller.ts';
import type { RegistryController } from './registry.controller.ts';

/** Membership (/join), network admin (/admin) and body editors (/editor): forms with CSRF tokens. */
export function registryRoutes(
  controller: RegistryController,
  endpoints: EndpointPagesController,
  formLimit: RequestHandler,
  bodyPages: BodyPagesController,
): Router {
  const router = Router();
  const admin = [requireCitizen, controller.requireAdmin];
  router.get('/join', controller.joinForm);
  router.post('/join', formLimit, controller.join);
  router.get('/admin', admin, controller.adminHome);
  router.post('/admin/memberships/:id/approve', formLimit, admin, controller.approve);
  router.post('/admin/memberships/:id/reject', formLimit, admin, controller.reject);
  router.post('/admin/bodies/:ipaCode/status', formLimit, admin, controller.setBodyStatus);
  router.post('/admin/bodies/:ipaCode/credentials', formLimit, admin, controller.rotateCredential);
  router.post(
    '/admin/bodies/:ipaCode/credentials/:clientId/revoke',
    formLimit,
    admin,
    controller.revokeCredential,
  );
  router.post('/admin/bodies/:ipaCode/domains', formLimit, admin, controller.setBodyDomains);
  router.post('/admin/bodies/:ipaCode/editors', formLimit, admin, controller.setBodyEditors);
  router.get('/editor', requireCitizen, controller.editorHome);
  router.post('/editor/services/:serviceId/status', formLimit, requireCitizen, controller.editorSetStatus);
  router.get('/editor/bodies/:ipaCode/profile', requireCitizen, bodyPages.form);
  router.post('/editor/bodies/:ipaCode/profile', formLimit, requireCitizen, bodyPages.save);
  router.get('/editor/bodies/:ipaCode/services/new', requireCitizen, controller.editorForm);
  router.get('/editor/bodies/:ipaCode/services/:serviceId/edit', requireCitizen, controller.editorForm);
  router.post('/editor/bodies/:ipaCode/services', formLimit, requireCitizen, controller.editorSave);
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
