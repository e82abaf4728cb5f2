import type { CatalogRepository } from './catalog.repository.ts';
import {
  endpointId as endpointIdSchema,
  undeclaredEndpointHost,
  type Endpoint,
  type EndpointPolicyOptions,
} from './endpoint.ts';
import { ipaCode, type Body } from './model.ts';

/** Ids that cannot exist are not looked up (they would only make odd Redis keys). */
const wellFormed = (bodyIpa: string, endpointId: string) =>
  ipaCode.safeParse(bodyIpa).success && endpointIdSchema.safeParse(endpointId).success;

/** Whether a delivery may go to an endpoint now, and if not, why. */
export type DeliveryTarget =
  | { deliverable: true; endpoint: Endpoint }
  | { deliverable: false; reason: 'unknown' | 'inactive'; endpoint?: Endpoint }
  | { deliverable: false; reason: 'host-not-declared'; endpoint: Endpoint; host: string };

/**
 * Read access to bodies' endpoints for the rest of the gateway (the procedures engine delivers a
 * step to `get(bodyIpa, endpointId)`), as `deps.catalog.endpoints`. Records are returned in every
 * status: callers deliver only to an `active` endpoint of an approved body whose host is still one of
 * the body's declared domains (`target` and `deliverable` check all three). Writes go through the
 * catalog writer.
 */
export function createEndpointDirectory(repository: CatalogRepository, policy: EndpointPolicyOptions) {
  async function target(bodyIpa: string, endpointId: string): Promise<DeliveryTarget> {
    if (!wellFormed(bodyIpa, endpointId)) return { deliverable: false, reason: 'unknown' };
    const [endpoint, body] = await Promise.all([
      repository.getEndpoint(bodyIpa, endpointId),
      repository.getBody(bodyIpa),
    ]);
    if (!endpoint || !body) return { deliverable: false, reason: 'unknown' };
    if (endpoint.status !== 'active' || body.status !== 'approved')
      return { deliverable: false, reason: 'inactive', endpoint };
    const host = undeclaredEndpointHost(endpoint.url, body, policy);
    if (host) return { deliverable: false, reason: 'host-not-declared', endpoint, host };
    return { deliverable: true, endpoint };
  }

  return {
    target,

    /** The host of an endpoint that is no longer among its body's declared domains, for editors. */
    undeclaredHost: (endpoint: Endpoint, body: Body) => undeclaredEndpointHost(endpoint.url, body, policy),

    async get(bodyIpa: string, endpointId: string): Promise<Endpoint | undefined> {
      return wellFormed(bodyIpa, endpointId) ? repository.getEndpoint(bodyIpa, endpointId) : undefined;
    },

    async listByBody(bodyIpa: string): Promise<Endpoint[]> {
      return ipaCode.safeParse(bodyIpa).success ? repository.listEndpoints(bodyIpa) : [];
    },

    /** The endpoint when it is active, its body approved and its host declared; undefined otherwise. */
    async deliverable(bodyIpa: string, endpointId: string): Promise<Endpoint | undefined> {
      const found = await target(bodyIpa, endpointId);
      return found.deliverable ? found.endpoint : undefined;
    },
  };
}

export type EndpointDirectory = ReturnType<typeof createEndpointDirectory>;
