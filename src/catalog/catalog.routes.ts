import { Router, type RequestHandler } from 'express';
import { requireCitizen } from '../identity/identity.controller.ts';
import type { CatalogController } from './catalog.controller.ts';

/** The citizen catalog: home, search, info sheets, favourites, deep links, open data. */
export function catalogRoutes(controller: CatalogController, formLimit: RequestHandler): Router {
  const router = Router();
  router.get('/', controller.home);
  router.get('/services', controller.search);
  router.get('/services/:serviceId', controller.infoSheet);
  router.post('/services/:serviceId/favourite', formLimit, requireCitizen, controller.toggleFavourite);
  router.get('/go/:serviceId', controller.go);
  router.get('/catalog.jsonld', controller.exportJsonLd);
  router.get('/catalog.csv', controller.exportCsv);
  return router;
}
