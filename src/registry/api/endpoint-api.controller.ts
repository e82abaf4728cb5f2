import type { Request, Response } from 'express';
import type { Catalog } from '../../catalog/catalog.module.ts';
import { endpointId, type EndpointStatus } from '../../catalog/endpoint.ts';
import type { Actor } from '../../catalog/model.ts';
import { parseInput } from '../../catalog/validation.ts';
import { authenticatedBody } from './api-auth.ts';

type EndpointRequest = Request<{ endpointId: string }>;

/**
 * The registration API for a body's procedure endpoints. Endpoint ids live inside the authenticated
 * body's own key space, so a body can neither see nor touch another body's endpoints.
 */
export function createEndpointApiController(deps: { catalog: Catalog }) {
  const { writer, endpoints } = deps.catalog;
  const actorOf = (res: Response): Actor => ({ kind: 'client', id: authenticatedBody(res) });
  const idOf = (req: EndpointRequest) => parseInput(endpointId, req.params.endpointId, 400);

  const setStatus = (status: EndpointStatus) => async (req: EndpointRequest, res: Response) => {
    const result = await writer.setEndpointStatus(actorOf(res), authenticatedBody(res), idOf(req), status);
    res.json(result.record);
  };

  return {
    async list(_req: Request, res: Response) {
      res.json({ endpoints: await endpoints.listByBody(authenticatedBody(res)) });
    },

    async get(req: EndpointRequest, res: Response) {
      res.json(await writer.ownedEndpoint(authenticatedBody(res), idOf(req)));
    },

    /** PUT: creates (201, active) or replaces (200) the endpoint; the same content twice changes nothing. */
    async put(req: EndpointRequest, res: Response) {
      const result = await writer.putEndpoint(actorOf(res), authenticatedBody(res), idOf(req), req.body);
      res.status(result.created ? 201 : 200).json(result.record);
    },

    disable: setStatus('disabled'),
    enable: setStatus('active'),
  };
}

export type EndpointApiController = ReturnType<typeof createEndpointApiController>;
