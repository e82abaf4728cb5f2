import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Catalog } from '../../catalog/catalog.module.ts';
import { endpointId, endpointInputSchema } from '../../catalog/endpoint.ts';
import { parseIdAndInput, parseInput, ValidationError } from '../../catalog/validation.ts';
import { AppError } from '../../platform/errors.ts';
import { renderPage } from '../../platform/views.ts';
import { citizenActor, editableBody } from './editor-access.ts';
import { endpointFormToInput, endpointToForm, formFieldOfEndpoint } from './endpoint-form.ts';

const statusSchema = z.strictObject({ _csrf: z.string(), status: z.enum(['active', 'disabled']) });

type BodyRequest = Request<{ ipaCode: string; endpointId?: string }>;

/**
 * Body editors' pages for the body's procedure endpoints (/editor). Every request names the body in
 * its path and is checked against the body's editors; endpoint ids are looked up inside that body
 * only, so an editor of one body can never reach another body's endpoints.
 */
export function createEndpointPagesController(deps: { catalog: Catalog }) {
  const { catalog } = deps;
  const bodyOf = (req: BodyRequest) => editableBody(catalog.repository, req, req.params.ipaCode);

  return {
    /** The endpoint form, empty for a new endpoint or filled with an existing one. */
    async form(req: BodyRequest, res: Response) {
      const body = await bodyOf(req);
      let form: Record<string, string> = {};
      if (req.params.endpointId) {
        const id = parseInput(endpointId, req.params.endpointId, 404);
        form = endpointToForm(await catalog.writer.ownedEndpoint(body.ipaCode, id));
      }
      renderPage(req, res, 'registry/editor/endpoint-form', { body, form, errors: [] });
    },

    /** Creates or replaces an endpoint from the form (PUT semantics, same validation as the API). */
    async save(req: BodyRequest, res: Response) {
      const body = await bodyOf(req);
      const form = (req.body ?? {}) as Record<string, unknown>;
      try {
        const input = endpointFormToInput(form);
        const rawId = typeof form.id === 'string' ? form.id.trim() : '';
        const id = parseIdAndInput(endpointId, rawId, endpointInputSchema, input);
        await catalog.writer.putEndpoint(citizenActor(req), body.ipaCode, id, input);
        res.redirect(303, '/editor');
      } catch (error) {
        if (!(error instanceof AppError) || error.status !== 422) throw error;
        const errors =
          error instanceof ValidationError
            ? [...new Set(error.issues.map((i) => formFieldOfEndpoint(i.path)))]
            : ['url'];
        res.status(422);
        renderPage(req, res, 'registry/editor/endpoint-form', { body, form, errors });
      }
    },

    async setStatus(req: BodyRequest, res: Response) {
      const body = await bodyOf(req);
      const id = parseInput(endpointId, req.params.endpointId, 404);
      const { status } = parseInput(statusSchema, req.body, 400);
      await catalog.writer.setEndpointStatus(citizenActor(req), body.ipaCode, id, status);
      res.redirect(303, '/editor');
    },
  };
}

export type EndpointPagesController = ReturnType<typeof createEndpointPagesController>;
