import { AppError, ForbiddenError, NotFoundError } from '../platform/errors.ts';
import { bodyDomainsSchema, bodyProfileSchema, checkBodyUrls } from './body-profile.ts';
import type { CatalogRepository, RecordKind } from './catalog.repository.ts';
import { diffFields } from './diff.ts';
import {
  checkEndpointUrl,
  endpointInputSchema,
  type Endpoint,
  type EndpointInput,
  type EndpointStatus,
} from './endpoint.ts';
import {
  bodyInputSchema,
  serviceInputIssues,
  serviceInputSchema,
  type Actor,
  type Body,
  type BodyInput,
  type BodyStatus,
  type Service,
  type ServiceInput,
  type ServiceStatus,
} from './model.ts';
import { checkServiceLinks } from './link-policy.ts';
import { parseInput, ValidationError } from './validation.ts';

class ConflictError extends AppError {
  constructor(code: string) {
    super(409, code);
  }
}

export interface WriterOptions {
  /** Outside demo mode links must be https. */
  demo: boolean;
  /** The gateway's own origin (demo body systems live there; accepted as an endpoint in demo mode). */
  gatewayOrigin?: string;
  now?: () => Date;
}

export interface WriteResult<T> {
  record: T;
  created: boolean;
  /** False when the write changed nothing (an idempotent PUT): no version bump, no audit record. */
  changed: boolean;
}

const actorLabel = (actor: Actor) => `${actor.kind}:${actor.id}`;

/** The body a record belongs to (its keys share that body's Cluster slot). */
function bodyOf(kind: RecordKind, record: Body | Service | Endpoint): string {
  if (kind === 'body') return (record as Body).ipaCode;
  return kind === 'service' ? (record as Service).bodyId : (record as Endpoint).bodyIpa;
}

/**
 * The one writer of the catalog: the registration API, the editor pages, the admin area and the demo
 * seed all change bodies, services and endpoints through here, so every change is validated the same way and leaves
 * an audit record (who, when, which fields changed from what to what).
 */
export function createCatalogWriter(repository: CatalogRepository, options: WriterOptions) {
  const now = options.now ?? (() => new Date());

  async function save<T extends Body | Service | Endpoint>(
    kind: RecordKind,
    id: string,
    before: T | undefined,
    after: T,
    actor: Actor,
    action: string,
  ): Promise<WriteResult<T>> {
    const changes = diffFields(before, after);
    if (before && Object.keys(changes).length === 0) {
      // The same write again, as after a 503: publish what the first one may have left unpublished.
      await repository.settle(bodyOf(kind, after));
      return { record: before, created: false, changed: false };
    }
    const at = now().toISOString();
    const record = { ...after, updatedAt: at };
    await repository.save(kind, record, { at, actor: actorLabel(actor), action, kind, id, changes });
    return { record, created: !before, changed: true };
  }

  async function ownedService(bodyId: string, serviceId: string): Promise<Service> {
    const service = await repository.getService(serviceId);
    // Another body's service is reported as missing: a body learns nothing about others' data.
    if (!service || service.bodyId !== bodyId) throw new NotFoundError('service_not_found');
    return service;
  }

  async function ownedEndpoint(bodyIpa: string, endpointId: string): Promise<Endpoint> {
    const endpoint = await repository.getEndpoint(bodyIpa, endpointId);
    if (!endpoint) throw new NotFoundError('endpoint_not_found');
    return endpoint;
  }

  async function existingBody(ipaCode: string): Promise<Body> {
    const body = await repository.getBody(ipaCode);
    if (!body) throw new NotFoundError('body_not_found');
    return body;
  }

  return {
    /** Creates or updates a body's own description (status and editors are kept). */
    async putBody(actor: Actor, input: BodyInput | unknown, initial: Pick<Body, 'status' | 'editors'>) {
      const parsed = parseInput(bodyInputSchema, input);
      checkBodyUrls(parsed, options);
      const before = await repository.getBody(parsed.ipaCode);
      const after: Body = {
        ...parsed,
        status: before?.status ?? initial.status,
        editors: before?.editors ?? initial.editors,
        updatedAt: before?.updatedAt ?? now().toISOString(),
      };
      return save('body', parsed.ipaCode, before, after, actor, before ? 'body.update' : 'body.create');
    },

    /**
     * Creates a new body (membership approval). A body that already exists is refused (409): an approval
     * must never overwrite another body's record, editors or domains.
     */
    async createBody(actor: Actor, input: unknown, initial: Pick<Body, 'status' | 'editors'>) {
      const parsed = parseInput(bodyInputSchema, input);
      checkBodyUrls(parsed, options);
      if (await repository.getBody(parsed.ipaCode)) throw new ConflictError('body_exists');
      const after: Body = { ...parsed, ...initial, updatedAt: now().toISOString() };
      return save('body', parsed.ipaCode, undefined, after, actor, 'body.create');
    },

    /** A body changes its own profile (names, kind, territory, contacts, logo); the rest is kept. */
    async putBodyProfile(actor: Actor, ipaCode: string, input: unknown) {
      const profile = parseInput(bodyProfileSchema, input);
      checkBodyUrls(profile, options);
      const before = await existingBody(ipaCode);
      const after: Body = {
        ipaCode: before.ipaCode,
        domains: before.domains,
        demoIpaCode: before.demoIpaCode,
        ...profile,
        status: before.status,
        editors: before.editors,
        updatedAt: before.updatedAt,
      };
      return save('body', ipaCode, before, after, actor, 'body.profile');
    },

    /** A network admin sets the domains a body's links and endpoints may use. */
    async setBodyDomains(actor: Actor, ipaCode: string, domains: unknown) {
      const parsed = parseInput(bodyDomainsSchema, domains);
      const before = await existingBody(ipaCode);
      const unique = [...new Set(parsed)];
      return save('body', ipaCode, before, { ...before, domains: unique }, actor, 'body.domains');
    },

    async setBodyStatus(actor: Actor, ipaCode: string, status: BodyStatus) {
      const before = await existingBody(ipaCode);
      return save('body', ipaCode, before, { ...before, status }, actor, `body.${status}`);
    },

    async setEditors(actor: Actor, ipaCode: string, editors: string[]) {
      const before = await existingBody(ipaCode);
      const unique = [...new Set(editors)].sort();
      return save('body', ipaCode, before, { ...before, editors: unique }, actor, 'body.editors');
    },

    /**
     * PUT semantics: creates the service as a draft or replaces its content (its status is kept), and
     * writing the same content twice changes nothing. A service id owned by another body is refused.
     */
    async putService(
      actor: Actor,
      bodyId: string,
      serviceId: string,
      input: unknown,
      status?: ServiceStatus,
    ) {
      const parsed: ServiceInput = parseInput(serviceInputSchema, input);
      const issues = serviceInputIssues(parsed);
      if (issues.length > 0) throw new ValidationError(issues);
      const body = await existingBody(bodyId);
      checkServiceLinks(parsed, body, options);
      const before = await repository.getService(serviceId);
      if (before && before.bodyId !== bodyId) throw new ForbiddenError('service_id_taken');
      const after: Service = {
        ...parsed,
        id: serviceId,
        bodyId,
        status: status ?? before?.status ?? 'draft',
        updatedAt: before?.updatedAt ?? now().toISOString(),
      };
      return save('service', serviceId, before, after, actor, before ? 'service.update' : 'service.create');
    },

    async setServiceStatus(actor: Actor, bodyId: string, serviceId: string, status: ServiceStatus) {
      const before = await ownedService(bodyId, serviceId);
      if (status === 'published') checkServiceLinks(before, await existingBody(bodyId), options);
      return save('service', serviceId, before, { ...before, status }, actor, `service.${status}`);
    },

    ownedService,

    /**
     * PUT semantics for a body's endpoint: creates it (active) or replaces its title, URL and step ids
     * (its status is kept); the same content twice changes nothing. Endpoint ids are per body, so a
     * body can only ever address its own.
     */
    async putEndpoint(actor: Actor, bodyIpa: string, endpointId: string, input: EndpointInput | unknown) {
      const parsed = parseInput(endpointInputSchema, input);
      const body = await existingBody(bodyIpa);
      checkEndpointUrl(parsed.url, body, options);
      const before = await repository.getEndpoint(bodyIpa, endpointId);
      const after: Endpoint = {
        id: endpointId,
        bodyIpa,
        ...parsed,
        status: before?.status ?? 'active',
        updatedAt: before?.updatedAt ?? now().toISOString(),
      };
      const action = before ? 'endpoint.update' : 'endpoint.create';
      return save('endpoint', `${bodyIpa}/${endpointId}`, before, after, actor, action);
    },

    async setEndpointStatus(actor: Actor, bodyIpa: string, endpointId: string, status: EndpointStatus) {
      const before = await ownedEndpoint(bodyIpa, endpointId);
      if (status === 'active') checkEndpointUrl(before.url, await existingBody(bodyIpa), options);
      const id = `${bodyIpa}/${endpointId}`;
      return save('endpoint', id, before, { ...before, status }, actor, `endpoint.${status}`);
    },

    ownedEndpoint,
  };
}

export type CatalogWriter = ReturnType<typeof createCatalogWriter>;
