import type { Router } from 'express';
import type { Dependencies } from '../dependencies.ts';
import { bodyAuthentication } from './api-auth.ts';
import { createApiController } from './api.controller.ts';
import { createBodyPagesController } from './body-pages.controller.ts';
import { apiRoutes } from './api.routes.ts';
import { createEndpointApiController } from './endpoint-api.controller.ts';
import { createEndpointPagesController } from './endpoint-pages.controller.ts';
import { createCredentials } from './credentials.repository.ts';
import { createMemberships } from './membership.ts';
import { createRegistryController } from './registry.controller.ts';
import { registryRoutes } from './registry.routes.ts';

/** The registry's routers: the registration API and the membership, admin and editor pages. */
export function registryRouters(deps: Dependencies): Router[] {
  const { catalog } = deps;
  const credentials = createCredentials(deps.redis);
  const memberships = createMemberships(deps.redis, catalog.writer, credentials);
  const api = createApiController({ catalog, publicUrl: deps.config.http.publicUrl });
  const pages = createRegistryController({
    catalog,
    memberships,
    credentials,
    admins: deps.config.registry.admins,
  });
  return [
    apiRoutes(
      api,
      createEndpointApiController({ catalog }),
      bodyAuthentication(credentials, catalog.repository),
      deps.rateLimits.api,
    ),
    registryRoutes(
      pages,
      createEndpointPagesController({ catalog }),
      deps.rateLimits.forms,
      createBodyPagesController({ catalog }),
    ),
  ];
}
