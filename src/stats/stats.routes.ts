import { Router, type RequestHandler } from 'express';
import { requireCitizen } from '../identity/identity.controller.ts';
import type { StatsController } from './stats.controller.ts';

/** The statistics' pages: public with its open data, the body editors', the network admins'. */
export function statsRoutes(controller: StatsController, inputs: { admin: RequestHandler[] }): Router {
  const router = Router();
  router.get('/statistiche', controller.publicPage);
  router.get('/statistiche/:dataset/:file', controller.openData);
  router.get('/editor/bodies/:ipaCode/statistiche', requireCitizen, controller.editorPage);
  router.get('/admin/statistiche', ...inputs.admin, controller.adminPage);
  return router;
}
