import type { Request, Response } from 'express';
import type { CatalogRepository } from '../catalog/catalog.repository.ts';
import type { CatalogWriter } from '../catalog/catalog.writer.ts';
import { serviceId, type Service } from '../catalog/model.ts';
import { parseInput } from '../catalog/validation.ts';
import type { Language } from '../platform/i18n.ts';
import { AppError } from '../platform/errors.ts';
import { renderPage } from '../platform/views.ts';
import { authenticatedBody } from '../registry/api/api-auth.ts';
import { editableBody } from '../registry/editor/editor-access.ts';
import type { ClientSecrets } from './client-secrets.repository.ts';

function requireSecretClient(service: Service) {
  if (service.sso?.clientAuthentication.method !== 'client_secret_basic')
    throw new AppError(409, 'not_a_secret_client', 'the service does not use client_secret_basic');
}

/**
 * POST /api/v1/services/:id/sso/secret (and the editor's form): issues (or replaces) the client_secret_basic secret of one of
 * the body's single-sign-on services and returns it once; the previous secret stops working at once.
 */
export function createClientSecretController(deps: {
  writer: CatalogWriter;
  repository: CatalogRepository;
  secrets: ClientSecrets;
}) {
  return {
    async rotate(req: Request<{ serviceId: string }>, res: Response) {
      const id = parseInput(serviceId, req.params.serviceId, 400);
      const service = await deps.writer.ownedService(authenticatedBody(res), id);
      requireSecretClient(service);
      const clientSecret = await deps.secrets.rotate(service.id);
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).json({ clientId: service.id, clientSecret });
    },

    /** The same from the editor pages: an editor of the body gets the new secret on a page, once. */
    async editorRotate(req: Request<{ ipaCode: string; serviceId: string }>, res: Response) {
      const body = await editableBody(deps.repository, req, req.params.ipaCode);
      const id = parseInput(serviceId, req.params.serviceId, 404);
      const service = await deps.writer.ownedService(body.ipaCode, id);
      requireSecretClient(service);
      const clientSecret = await deps.secrets.rotate(service.id);
      res.setHeader('Cache-Control', 'no-store');
      res.status(201);
      renderPage(req, res, 'sso/client-secret', {
        clientId: service.id,
        clientSecret,
        serviceTitle: service.title[res.locals.lang as Language],
      });
    },
  };
}

export type ClientSecretController = ReturnType<typeof createClientSecretController>;
