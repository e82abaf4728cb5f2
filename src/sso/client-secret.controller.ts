import type { Request, Response } from 'express';
import type { CatalogWriter } from '../catalog/catalog.writer.ts';
import { serviceId } from '../catalog/model.ts';
import { parseInput } from '../catalog/validation.ts';
import { AppError } from '../platform/errors.ts';
import { authenticatedBody } from '../registry/api-auth.ts';
import type { ClientSecrets } from './client-secrets.repository.ts';

/**
 * POST /api/v1/services/:id/sso/secret: issues (or replaces) the client_secret_basic secret of one of
 * the body's single-sign-on services and returns it once; the previous secret stops working at once.
 */
export function createClientSecretController(deps: { writer: CatalogWriter; secrets: ClientSecrets }) {
  return {
    async rotate(req: Request<{ serviceId: string }>, res: Response) {
      const id = parseInput(serviceId, req.params.serviceId, 400);
      const service = await deps.writer.ownedService(authenticatedBody(res), id);
      if (service.sso?.clientAuthentication.method !== 'client_secret_basic')
        throw new AppError(409, 'not_a_secret_client', 'the service does not use client_secret_basic');
      const clientSecret = await deps.secrets.rotate(service.id);
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).json({ clientId: service.id, clientSecret });
    },
  };
}

export type ClientSecretController = ReturnType<typeof createClientSecretController>;
