import { Router, type RequestHandler } from 'express';
import type { AdminController } from './admin.controller.ts';

/** The network admins' area (/admin): forms with CSRF tokens, behind the admins' guard. */
export function adminRoutes(
  controller: AdminController,
  guards: { admin: RequestHandler[]; formLimit: RequestHandler },
): Router {
  const { admin, formLimit } = guards;
  const router = Router();
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
  return router;
}
