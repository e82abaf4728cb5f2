import type { CatalogRepository } from './catalog.repository.ts';
import { endpointId as endpointIdSchema, type Endpoint } from './endpoint.ts';
import { ipaCode } from './model.ts';

/** Ids that cannot exist are not looked up (they would only make odd Redis keys). */
const wellFormed = (bodyIpa: string, endpointId: string) =>
  ipaCode.safeParse(bodyIpa).success && endpointIdSchema.safeParse(endpointId).success;

/**
 * Read access to bodies' endpoints for the rest of the gateway (the procedures engine delivers a
 * step to `get(bodyIpa, endpointId)`), as `deps.catalog.endpoints`. Records are returned in every
 * status: callers deliver only to an `active` endpoint of an approved body (`deliverable` does both
 * checks). Writes go through the catalog writer.
 */
export function createEndpointDirectory(repository: CatalogRepository) {
  return {
    async get(bodyIpa: string, endpointId: string): Promise<Endpoint | undefined> {
      return wellFormed(bodyIpa, endpointId) ? repository.getEndpoint(bodyIpa, endpointId) : undefined;
    },

    async listByBody(bodyIpa: string): Promise<Endpoint[]> {
      return ipaCode.safeParse(bodyIpa).success ? repository.listEndpoints(bodyIpa) : [];
    },

    /** The endpoint when it is active and its body approved (not suspended); undefined otherwise. */
    async deliverable(bodyIpa: string, endpointId: string): Promise<Endpoint | undefined> {
      if (!wellFormed(bodyIpa, endpointId)) return undefined;
      const [endpoint, body] = await Promise.all([
        repository.getEndpoint(bodyIpa, endpointId),
        repository.getBody(bodyIpa),
      ]);
      return endpoint?.status === 'active' && body?.status === 'approved' ? endpoint : undefined;
    },
  };
}

export type EndpointDirectory = ReturnType<typeof createEndpointDirectory>;
