import type { Request, Response } from 'express';
import type { Catalog } from '../../catalog/catalog.module.ts';
import { serviceId, type Actor } from '../../catalog/model.ts';
import { parseInput } from '../../catalog/validation.ts';
import { authenticatedBody } from './api-auth.ts';
import { openApiDocument } from './openapi.ts';

/**
 * The registration API: a body's system reads and writes its own services, and nothing else. Every
 * lookup is scoped by the authenticated body; another body's service id answers 404 like a missing one.
 */
export function createApiController(deps: { catalog: Catalog; publicUrl: string }) {
  const { writer, repository } = deps.catalog;
  const actorOf = (res: Response): Actor => ({ kind: 'client', id: authenticatedBody(res) });
  const idOf = (req: Request<{ serviceId: string }>) => parseInput(serviceId, req.params.serviceId, 400);
  const document = openApiDocument(deps.publicUrl);

  return {
    openApi(_req: Request, res: Response) {
      res.json(document);
    },

    async body(_req: Request, res: Response) {
      res.json(await repository.getBody(authenticatedBody(res)));
    },

    /** PUT /body: the body's own profile (names, kind, territory, contacts, logo, main office); idempotent. */
    async putBody(req: Request, res: Response) {
      const result = await writer.putBodyProfile(actorOf(res), authenticatedBody(res), req.body);
      res.json(result.record);
    },

    async list(_req: Request, res: Response) {
      const bodyId = authenticatedBody(res);
      const services = (await repository.listServices()).filter((s) => s.bodyId === bodyId);
      res.json({ services });
    },

    async get(req: Request<{ serviceId: string }>, res: Response) {
      res.json(await writer.ownedService(authenticatedBody(res), idOf(req)));
    },

    /** PUT: creates (201) or replaces (200) the service; the same content twice changes nothing. */
    async put(req: Request<{ serviceId: string }>, res: Response) {
      const result = await writer.putService(actorOf(res), authenticatedBody(res), idOf(req), req.body);
      res.status(result.created ? 201 : 200).json(result.record);
    },

    async publish(req: Request<{ serviceId: string }>, res: Response) {
      const result = await writer.setServiceStatus(
        actorOf(res),
        authenticatedBody(res),
        idOf(req),
        'published',
      );
      res.json(result.record);
    },

    async withdraw(req: Request<{ serviceId: string }>, res: Response) {
      const result = await writer.setServiceStatus(
        actorOf(res),
        authenticatedBody(res),
        idOf(req),
        'withdrawn',
      );
      res.json(result.record);
    },
  };
}

export type ApiController = ReturnType<typeof createApiController>;
