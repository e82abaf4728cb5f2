import type { Request, Response } from 'express';
import type { Catalog } from '../../catalog/catalog.module.ts';
import { BODY_KINDS } from '../../catalog/model.ts';
import { ValidationError } from '../../catalog/validation.ts';
import { AppError } from '../../platform/errors.ts';
import { renderPage } from '../../platform/views.ts';
import type { Language } from '../../platform/i18n.ts';
import { bodyFormField, bodyFormToProfile, bodyToForm } from './body-form.ts';
import { citizenActor, editableBody } from './editor-access.ts';

type BodyRequest = Request<{ ipaCode: string }>;

/**
 * Body editors' page for the body's own profile (/editor/bodies/:ipaCode/profile): the same change as
 * PUT /api/v1/body, through the same writer. The IPA code and the declared domains are not on the form:
 * only a network admin sets domains (/admin).
 */
export function createBodyPagesController(deps: { catalog: Catalog }) {
  const { catalog } = deps;
  const bodyOf = (req: BodyRequest) => editableBody(catalog.repository, req, req.params.ipaCode);

  return {
    async form(req: BodyRequest, res: Response) {
      const body = await bodyOf(req);
      renderPage(req, res, 'registry/editor/body-form', {
        body,
        form: bodyToForm(body, res.locals.lang as Language),
        errors: [],
        kinds: BODY_KINDS,
      });
    },

    async save(req: BodyRequest, res: Response) {
      const body = await bodyOf(req);
      const form = (req.body ?? {}) as Record<string, unknown>;
      try {
        await catalog.writer.putBodyProfile(citizenActor(req), body.ipaCode, bodyFormToProfile(form));
        res.redirect(303, '/editor');
      } catch (error) {
        if (!(error instanceof AppError) || error.status !== 422) throw error;
        const errors =
          error instanceof ValidationError
            ? [...new Set(error.issues.map((i) => bodyFormField(i.path)))]
            : ['website'];
        res.status(422);
        renderPage(req, res, 'registry/editor/body-form', { body, form, errors, kinds: BODY_KINDS });
      }
    },
  };
}

export type BodyPagesController = ReturnType<typeof createBodyPagesController>;
