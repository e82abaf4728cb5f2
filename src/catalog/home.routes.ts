import type { Router } from 'express';
import type { Dependencies } from '../dependencies.ts';
import { requireLevel } from '../identity/step-up.ts';
import { createCatalogController, type HomeLocals } from './catalog.controller.ts';
import { catalogRoutes } from './catalog.routes.ts';

/** The citizen-facing catalog (home page included), assembled from the dependencies. */
export function homeRoutes(deps: Dependencies, homeLocals: readonly HomeLocals[] = []): Router {
  const controller = createCatalogController({
    catalog: deps.catalog,
    publicUrl: deps.config.http.publicUrl,
    demo: deps.config.demo,
    requireLevel,
    homeLocals,
  });
  return catalogRoutes(controller, deps.rateLimits.forms);
}
