import type { RequestHandler, Router } from 'express';
import type { Catalog } from '../catalog/catalog.module.ts';
import type { Config } from '../config/schema.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { bodyAuthentication } from './api/api-auth.ts';
import { createApiController } from './api/api.controller.ts';
import { createBodyPagesController } from './editor/body-pages.controller.ts';
import { apiRoutes } from './api/api.routes.ts';
import { createEndpointApiController } from './api/endpoint-api.controller.ts';
import { createEndpointPagesController } from './editor/endpoint-pages.controller.ts';
import { createCredentials } from './credentials.repository.ts';
import { createCredentialLinkController } from './credential-link.controller.ts';
import { createCredentialLinks } from './credential-links.ts';
import type { RegistryNotices } from './notices.ts';
import { createMemberships } from './membership.ts';
import { createAdminController } from './admin/admin.controller.ts';
import { adminRoutes } from './admin/admin.routes.ts';
import { createServicePagesController } from './editor/service-pages.controller.ts';
import { editorRoutes } from './editor/editor.routes.ts';
import { createJoinController } from './join/join.controller.ts';
import { credentialLinkRoutes, joinRoutes } from './join/join.routes.ts';

/**
 * The network's registry: bodies' API credentials and membership requests, and what it contributes: the
 * bodies' authentication (a bearer credential, for every module's API), the registration API and the
 * pages of each audience: a body asking to join (and opening the link to its credential), the network
 * admins, a body's editors. What it tells people goes through `notices` (the mail module).
 */
export function buildRegistry(
  config: Readonly<Config>,
  redis: RedisConnection,
  inputs: {
    catalog: Catalog;
    /** The network admins' guard (identity/network-admins.ts). */
    requireAdmin: RequestHandler[];
    limits: { forms: RequestHandler; api: RequestHandler };
    notices: RegistryNotices;
  },
) {
  const { catalog, limits, notices } = inputs;
  const credentials = createCredentials(redis);
  const links = createCredentialLinks(redis);
  const memberships = createMemberships(redis, catalog.writer, credentials);
  const authenticateBody = bodyAuthentication(credentials, catalog.repository);
  const routers: Router[] = [
    apiRoutes(
      createApiController({ catalog, publicUrl: config.http.publicUrl }),
      createEndpointApiController({ catalog }),
      authenticateBody,
      limits.api,
    ),
    joinRoutes(createJoinController({ memberships, notices }), limits.forms),
    credentialLinkRoutes(createCredentialLinkController({ links, catalog }), limits.forms),
    adminRoutes(createAdminController({ catalog, memberships, credentials, links, notices }), {
      admin: inputs.requireAdmin,
      formLimit: limits.forms,
    }),
    editorRoutes(
      {
        services: createServicePagesController({ catalog }),
        bodies: createBodyPagesController({ catalog }),
        endpoints: createEndpointPagesController({ catalog }),
      },
      limits.forms,
    ),
  ];
  return { credentials, credentialLinks: links, memberships, authenticateBody, routers };
}

export type Registry = ReturnType<typeof buildRegistry>;
