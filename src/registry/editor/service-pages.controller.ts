import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Catalog } from '../../catalog/catalog.module.ts';
import type { Endpoint } from '../../catalog/endpoint.ts';
import { undeclaredSsoHosts } from '../../catalog/link-policy.ts';
import { serviceId, serviceInputSchema, type Body, type Service } from '../../catalog/model.ts';
import { parseIdAndInput, parseInput, ValidationError } from '../../catalog/validation.ts';
import { AppError, ForbiddenError } from '../../platform/errors.ts';
import { renderPage } from '../../platform/views.ts';
import { citizenActor, editableBody as editableBodyOf } from './editor-access.ts';
import { FORM_CHOICES, SSO_FORM_FIELDS, serviceFormToInput, serviceToForm } from './service-form.ts';

const serviceStatusSchema = z.strictObject({ _csrf: z.string(), status: z.enum(['published', 'withdrawn']) });
/** The form field an input path belongs to (for the error summary). */
function formField(path: string): string {
  const [head = '', second = ''] = path.split('.');
  if (head === 'deepLink') return 'link';
  if (head === 'infoSheet') return second || 'whoCanApply';
  if (head === 'availability')
    return second === 'notes'
      ? 'availabilityNotes'
      : second === 'maintenance'
        ? 'maintenance'
        : 'openingHours';
  if (head === 'sso') return SSO_FORM_FIELDS[second] ?? 'ssoAuth';
  if (head === 'title' || head === 'description') return head;
  return (FORM_FIELDS as readonly string[]).includes(head) ? head : 'id';
}
/**
 * The languages of a two-language field that are at fault, by form field ("title.it" → title: ["it"]),
 * so the form says which one is missing rather than the field alone.
 */
function languagesAtFault(issues: ReadonlyArray<{ path: string }>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { path } of issues) {
    const language = path.split('.').at(-1);
    if (language !== 'it' && language !== 'en') continue;
    const field = formField(path);
    out[field] = [...new Set([...(out[field] ?? []), language])];
  }
  return out;
}
const FORM_FIELDS = [
  'topics',
  'lifeEvents',
  'audience',
  'channels',
  'requiredLevel',
  'integration',
  'keywords',
] as const;

/**
 * What a withdrawn domain has cut off, for the editors to see: single sign-on clients with a URI on a host
 * the body no longer declares (by service id: the hosts) and endpoints on such a host (by body/endpoint).
 */
function cutOffByWithdrawnDomains(
  catalog: Catalog,
  bodies: readonly Body[],
  services: readonly Service[],
  endpoints: readonly Endpoint[],
) {
  const bodyOf = new Map(bodies.map((b) => [b.ipaCode, b]));
  const ssoCutOff = new Map<string, string[]>();
  for (const service of services) {
    const body = bodyOf.get(service.bodyId);
    const hosts = service.sso && body ? undeclaredSsoHosts(service.sso, body, catalog.linkPolicy) : [];
    if (hosts.length > 0) ssoCutOff.set(service.id, hosts);
  }
  const endpointCutOff = new Map<string, string>();
  for (const endpoint of endpoints) {
    const body = bodyOf.get(endpoint.bodyIpa);
    const host = body && catalog.endpoints.undeclaredHost(endpoint, body);
    if (host) endpointCutOff.set(`${endpoint.bodyIpa}/${endpoint.id}`, host);
  }
  return { ssoCutOff, endpointCutOff };
}

/** A body editor's home (/editor) and their bodies' service forms and statuses. */
export function createServicePagesController(deps: { catalog: Catalog }) {
  const { catalog } = deps;

  const editableBody = (req: Request, raw: string) => editableBodyOf(catalog.repository, req, raw);

  return {
    async editorHome(req: Request, res: Response) {
      const actor = citizenActor(req);
      const bodies = (await catalog.repository.listBodies()).filter((b) => b.editors.includes(actor.id));
      const ids = new Set(bodies.map((b) => b.ipaCode));
      const services = (await catalog.repository.listServices()).filter((s) => ids.has(s.bodyId));
      const endpoints = (
        await Promise.all(bodies.map((b) => catalog.endpoints.listByBody(b.ipaCode)))
      ).flat();
      renderPage(req, res, 'registry/editor/editor', {
        bodies,
        services,
        endpoints,
        ...cutOffByWithdrawnDomains(catalog, bodies, services, endpoints),
      });
    },

    /** The service form, empty for a new service of the body or filled with an existing one. */
    async editorForm(req: Request<{ ipaCode: string; serviceId?: string }>, res: Response) {
      const body = await editableBody(req, req.params.ipaCode);
      let form: Record<string, unknown> = {};
      if (req.params.serviceId) {
        const service = await catalog.writer.ownedService(
          body.ipaCode,
          parseInput(serviceId, req.params.serviceId, 404),
        );
        form = serviceToForm(service);
      }
      renderPage(req, res, 'registry/editor/service-form', {
        body,
        form,
        errors: [],
        errorLanguages: {},
        choices: FORM_CHOICES,
      });
    },

    /** Creates or replaces a service from the form (PUT semantics, same validation as the API). */
    async editorSave(req: Request<{ ipaCode: string }>, res: Response) {
      const body = await editableBody(req, req.params.ipaCode);
      const form = (req.body ?? {}) as Record<string, unknown>;
      try {
        const input = serviceFormToInput(form);
        const rawId = typeof form.id === 'string' ? form.id.trim() : '';
        const id = parseIdAndInput(serviceId, rawId, serviceInputSchema, input);
        await catalog.writer.putService(citizenActor(req), body.ipaCode, id, input);
        res.redirect(303, '/editor');
      } catch (error) {
        if (!(error instanceof AppError) || error.status !== 422) throw error;
        const errors =
          error instanceof ValidationError
            ? [...new Set(error.issues.map((i) => formField(i.path)))]
            : [/single sign-on|redirect URIs|sso block/.test(error.message) ? 'ssoRedirectUris' : 'link'];
        res.status(422);
        renderPage(req, res, 'registry/editor/service-form', {
          body,
          form,
          errors,
          errorLanguages: error instanceof ValidationError ? languagesAtFault(error.issues) : {},
          choices: FORM_CHOICES,
        });
      }
    },

    /** An editor publishes or withdraws a service of a body that names them; anything else is a 403. */
    async editorSetStatus(req: Request<{ serviceId: string }>, res: Response) {
      const actor = citizenActor(req);
      const id = parseInput(serviceId, req.params.serviceId, 404);
      const form = parseInput(serviceStatusSchema, req.body, 400);
      const service = await catalog.repository.getService(id);
      const body = service ? await catalog.repository.getBody(service.bodyId) : undefined;
      if (!service || !body?.editors.includes(actor.id)) throw new ForbiddenError('not_an_editor');
      if (body.status !== 'approved') throw new ForbiddenError('body_not_active');
      await catalog.writer.setServiceStatus(actor, body.ipaCode, id, form.status);
      res.redirect(303, '/editor');
    },
  };
}

export type ServicePagesController = ReturnType<typeof createServicePagesController>;
