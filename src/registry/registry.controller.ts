import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { Catalog } from '../catalog/catalog.module.ts';
import type { Endpoint } from '../catalog/endpoint.ts';
import { undeclaredSsoHosts } from '../catalog/link-policy.ts';
import {
  BODY_KINDS,
  ipaCode,
  serviceId,
  serviceInputSchema,
  type Body,
  type Service,
} from '../catalog/model.ts';
import { parseInput } from '../catalog/validation.ts';
import { AppError, ForbiddenError } from '../platform/errors.ts';
import { renderPage } from '../platform/views.ts';
import type { Credentials } from './credentials.repository.ts';
import { membershipFormSchema, parseEditors, type Memberships } from './membership.ts';
import { FORM_CHOICES, SSO_FORM_FIELDS, serviceFormToInput, serviceToForm } from './service-form.ts';
import { parseIdAndInput, ValidationError } from '../catalog/validation.ts';
import { citizenActor, editableBody as editableBodyOf } from './editor-access.ts';

const reasonSchema = z.strictObject({ _csrf: z.string(), reason: z.string().trim().min(3).max(1000) });
const editorsSchema = z.strictObject({ _csrf: z.string(), editors: z.string().max(2000) });
const bodyStatusSchema = z.strictObject({ _csrf: z.string(), status: z.enum(['approved', 'suspended']) });
const serviceStatusSchema = z.strictObject({ _csrf: z.string(), status: z.enum(['published', 'withdrawn']) });
/** The form field an input path belongs to (for the error summary). */
function formField(path: string): string {
  const [head = '', second = ''] = path.split('.');
  if (head === 'deepLink') return 'link';
  if (head === 'infoSheet') return second || 'whoCanApply';
  if (head === 'availability') return second === 'notes' ? 'availabilityNotes' : 'openingHours';
  if (head === 'sso') return SSO_FORM_FIELDS[second] ?? 'ssoAuth';
  if (head === 'title' || head === 'description') return head;
  return (FORM_FIELDS as readonly string[]).includes(head) ? head : 'id';
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

const membershipId = z.string().regex(/^[A-Za-z0-9_-]{16}$/);
const clientIdSchema = z.string().regex(/^c_[A-Za-z0-9_-]{12}$/);
const csrfOnly = z.strictObject({ _csrf: z.string() });
/** Host names typed by an admin, separated by spaces, commas or new lines (checked by the writer). */
const domainsFormSchema = z.strictObject({
  _csrf: z.string(),
  domains: z
    .string()
    .max(2000)
    .transform((raw) =>
      raw
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((d) => d.toLowerCase()),
    ),
});

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

/** Membership form (/join), network admin area (/admin) and body editors' pages (/editor). */
export function createRegistryController(deps: {
  catalog: Catalog;
  memberships: Memberships;
  credentials: Credentials;
  admins: readonly string[];
}) {
  const { memberships, credentials, catalog } = deps;

  const editableBody = (req: Request, raw: string) => editableBodyOf(catalog.repository, req, raw);

  return {
    /** Network admins are named in the configuration (registry.admins); checked on every request. */
    requireAdmin(req: Request, _res: Response, next: NextFunction) {
      const citizen = req.session.citizen;
      next(
        citizen && deps.admins.includes(citizen.fiscalCode) ? undefined : new ForbiddenError('not_an_admin'),
      );
    },

    joinForm(req: Request, res: Response) {
      renderPage(req, res, 'registry/join', { form: {}, errors: [], kinds: BODY_KINDS });
    },

    async join(req: Request, res: Response) {
      const posted = { ...((req.body ?? {}) as Record<string, unknown>) };
      delete posted._csrf; // checked by the CSRF middleware; not part of the application
      const parsed = membershipFormSchema.safeParse(posted);
      if (!parsed.success) {
        res.status(422);
        const errors = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'form')))];
        return renderPage(req, res, 'registry/join', { form: posted, errors, kinds: BODY_KINDS });
      }
      await memberships.submit(parsed.data);
      renderPage(req, res, 'registry/join-done');
    },

    async adminHome(req: Request, res: Response) {
      const bodies = await catalog.repository.listBodies();
      const clients = await Promise.all(bodies.map((b) => credentials.list(b.ipaCode)));
      renderPage(req, res, 'registry/admin', {
        memberships: await memberships.list(),
        bodies,
        credentials: new Map(bodies.map((b, i) => [b.ipaCode, clients[i] ?? []])),
      });
    },

    async approve(req: Request<{ id: string }>, res: Response) {
      const id = parseInput(membershipId, req.params.id, 404);
      const form = parseInput(editorsSchema, req.body, 400);
      const editors = parseEditors(form.editors);
      if (!editors) throw new AppError(422, 'editors_invalid', 'one or more valid fiscal codes are needed');
      const { membership, credential } = await memberships.approve(citizenActor(req), id, editors);
      renderPage(req, res, 'registry/credential', { bodyId: membership.ipaCode, credential });
    },

    async reject(req: Request<{ id: string }>, res: Response) {
      const id = parseInput(membershipId, req.params.id, 404);
      const form = parseInput(reasonSchema, req.body);
      await memberships.reject(citizenActor(req), id, form.reason);
      res.redirect(303, '/admin');
    },

    async setBodyStatus(req: Request<{ ipaCode: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      const form = parseInput(bodyStatusSchema, req.body, 400);
      await catalog.writer.setBodyStatus(citizenActor(req), body, form.status);
      res.redirect(303, '/admin');
    },

    async rotateCredential(req: Request<{ ipaCode: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      if (!(await catalog.repository.getBody(body))) throw new AppError(404, 'body_not_found');
      renderPage(req, res, 'registry/credential', {
        bodyId: body,
        credential: await credentials.rotate(body),
      });
    },

    /** Revokes one API credential of a body at once (the body's other credentials keep working). */
    async revokeCredential(req: Request<{ ipaCode: string; clientId: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      const clientId = parseInput(clientIdSchema, req.params.clientId, 404);
      parseInput(csrfOnly, req.body, 400);
      if (!(await credentials.revoke(body, clientId))) throw new AppError(404, 'credential_not_found');
      res.redirect(303, '/admin');
    },

    /** The host names a body's links, single sign-on URIs and endpoints may use (only admins set them). */
    async setBodyDomains(req: Request<{ ipaCode: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      const form = parseInput(domainsFormSchema, req.body);
      await catalog.writer.setBodyDomains(citizenActor(req), body, form.domains);
      res.redirect(303, '/admin');
    },

    /** The people (by fiscal code) who may edit a body's services, endpoints and profile at /editor. */
    async setBodyEditors(req: Request<{ ipaCode: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      const form = parseInput(editorsSchema, req.body, 400);
      const editors = parseEditors(form.editors);
      if (!editors) throw new AppError(422, 'editors_invalid', 'one or more valid fiscal codes are needed');
      await catalog.writer.setEditors(citizenActor(req), body, editors);
      res.redirect(303, '/admin');
    },

    async editorHome(req: Request, res: Response) {
      const actor = citizenActor(req);
      const bodies = (await catalog.repository.listBodies()).filter((b) => b.editors.includes(actor.id));
      const ids = new Set(bodies.map((b) => b.ipaCode));
      const services = (await catalog.repository.listServices()).filter((s) => ids.has(s.bodyId));
      const endpoints = (
        await Promise.all(bodies.map((b) => catalog.endpoints.listByBody(b.ipaCode)))
      ).flat();
      renderPage(req, res, 'registry/editor', {
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
      renderPage(req, res, 'registry/service-form', { body, form, errors: [], choices: FORM_CHOICES });
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
        renderPage(req, res, 'registry/service-form', { body, form, errors, choices: FORM_CHOICES });
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

export type RegistryController = ReturnType<typeof createRegistryController>;
