import type { Request } from 'express';
import type { CatalogRepository } from '../../catalog/catalog.repository.ts';
import { ipaCode, type Actor, type Body } from '../../catalog/model.ts';
import { AppError, ForbiddenError } from '../../platform/errors.ts';

/** The logged-in person as the audit names them (by fiscal code). */
export const citizenActor = (req: Request): Actor => {
  const citizen = req.session.citizen;
  if (!citizen) throw new AppError(401, 'login_required');
  return { kind: 'citizen', id: citizen.fiscalCode };
};

/**
 * The body named in the URL, when the logged-in person is one of its editors and it is active; 403
 * otherwise (checked on every request: roles live on the body record, not in the session).
 */
export async function editableBody(repository: CatalogRepository, req: Request, raw: string): Promise<Body> {
  const actor = citizenActor(req);
  const parsed = ipaCode.safeParse(raw);
  const body = parsed.success ? await repository.getBody(parsed.data) : undefined;
  if (!body?.editors.includes(actor.id)) throw new ForbiddenError('not_an_editor');
  if (body.status !== 'approved') throw new ForbiddenError('body_not_active');
  return body;
}
