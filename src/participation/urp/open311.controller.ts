import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { Catalog } from '../../catalog/catalog.module.ts';
import { AppError } from '../../platform/errors.ts';
import { isLanguage, type Language } from '../../platform/i18n.ts';
import {
  ADDRESS_MAX,
  messageText,
  placeProblem,
  REFERENCE,
  TEXT_MAX,
  TEXT_MIN,
  UNKNOWN_BODY,
  URP_KINDS,
  URP_TOPICS,
  type UrpKind,
  type UrpRequest,
  type UrpTopic,
} from './model.ts';
import { open311OpenApi } from './open311-openapi.ts';
import type { UrpDesk } from './urp.service.ts';

/** Where the GeoReport v2 endpoints live (under /api/: JSON bodies, no form tokens). */
export const OPEN311_BASE = '/api/open311/v2';

/** The public kind: only reports (segnalazioni) are listed, and never their text or requester. */
const PUBLIC_KIND: UrpKind = 'report';
const DAY_MS = 86_400_000;

/** A GeoReport v2 error: an array of { code, description }, with the same HTTP status. */
class Open311Error extends AppError {
  constructor(status: number, description: string) {
    super(status, 'open311_error', description);
  }
}

const serviceCode = z
  .string()
  .regex(/^[a-z]+\.[a-z]+$/)
  .transform((code) => code.split('.') as [string, string])
  .refine(
    ([k, t]) => (URP_KINDS as readonly string[]).includes(k) && (URP_TOPICS as readonly string[]).includes(t),
  )
  .transform(([k, t]) => ({ kind: k as UrpKind, topic: t as UrpTopic }));

const jurisdiction = z
  .string()
  .regex(/^[a-z0-9_]{2,32}$/)
  .optional();
const coordinate = z.coerce.number().refine(Number.isFinite);

/** POST requests.json (GeoReport v2): the fields the desk uses; other GeoReport fields are ignored. */
const postSchema = z.object({
  api_key: z.string().min(1).max(100),
  jurisdiction_id: jurisdiction,
  service_code: serviceCode,
  description: messageText(TEXT_MIN, TEXT_MAX),
  lat: coordinate.optional(),
  long: coordinate.optional(),
  address_string: messageText(3, ADDRESS_MAX)
    .refine((v) => !v.includes('\n'))
    .optional(),
  email: z.string().trim().toLowerCase().pipe(z.email().max(254)),
  locale: z.enum(['it', 'en']).optional(),
});

const isoDate = z.iso.datetime({ offset: true }).transform((v) => Date.parse(v));
const listQuery = z.object({
  jurisdiction_id: jurisdiction,
  service_request_id: z
    .string()
    .max(2000)
    .transform((v) => v.split(','))
    .pipe(z.array(z.string().regex(REFERENCE)).max(100))
    .optional(),
  service_code: serviceCode.optional(),
  start_date: isoDate.optional(),
  end_date: isoDate.optional(),
  status: z.enum(['open', 'closed']).optional(),
});

/** The first problem of a parse, as one line for the error's description. */
const described = (error: z.ZodError) => {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`;
};

/**
 * Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over the URP desk, JSON only. Services
 * are kinds × topics (`report.roads`); a jurisdiction is a body's IPA code (none: the URP decides).
 * Apps post with an API key the admins issue; every request needs an e-mail address and is filed only
 * once its owner follows the confirmation link, so the answer is a `token` (GET tokens/:token.json
 * gives the request's id once confirmed). Lists and single requests show reports only, with their
 * status, service, dates, body and coordinates: never the text, the address typed, or the requester.
 */
export function createOpen311Controller(deps: {
  desk: UrpDesk;
  catalog: Pick<Catalog, 'index' | 'repository'>;
  publicUrl: string;
  area: { minLat: number; maxLat: number; minLon: number; maxLon: number };
}) {
  const { desk } = deps;
  const langOf = (res: Response): Language => (isLanguage(res.locals.lang) ? res.locals.lang : 'it');
  const tOf = (res: Response) => res.locals.t as (key: string, values?: Record<string, unknown>) => string;

  async function checkJurisdiction(id: string | undefined) {
    if (id === undefined) return;
    if ((await deps.catalog.repository.getBody(id))?.status !== 'approved')
      throw new Open311Error(404, 'jurisdiction_id: unknown jurisdiction');
  }

  const parse = <S extends z.ZodType>(schema: S, input: unknown): z.output<S> => {
    const parsed = schema.safeParse(input ?? {});
    if (!parsed.success) throw new Open311Error(400, described(parsed.error));
    return parsed.data;
  };

  async function publicView(request: UrpRequest, res: Response) {
    const t = tOf(res);
    const body = request.assigned ? await deps.catalog.repository.getBody(request.assigned) : undefined;
    return {
      service_request_id: request.ref,
      status: request.status === 'closed' ? 'closed' : 'open',
      service_code: `${request.kind}.${request.topic}`,
      service_name: `${t(`urp.kinds.${request.kind}`)}: ${t(`urp.topics.${request.topic}`)}`,
      agency_responsible: body?.name[langOf(res)] ?? 'URP',
      requested_datetime: new Date(request.filedAt).toISOString(),
      expected_datetime: new Date(request.dueAt).toISOString(),
      ...(request.closedAt ? { updated_datetime: new Date(request.closedAt).toISOString() } : {}),
      ...(request.lat !== undefined && request.lon !== undefined
        ? { lat: request.lat, long: request.lon }
        : {}),
    };
  }

  return {
    openApi(_req: Request, res: Response) {
      res.json(open311OpenApi(deps.publicUrl));
    },

    discovery(_req: Request, res: Response) {
      res.json({
        changeset: '2026-12-01T00:00:00Z',
        contact: new URL('/urp/new', deps.publicUrl).toString(),
        key_service: new URL('/admin/urp', deps.publicUrl).toString(),
        endpoints: [
          {
            specification: 'http://wiki.open311.org/GeoReport_v2',
            url: new URL(OPEN311_BASE, deps.publicUrl).toString(),
            changeset: '2026-12-01T00:00:00Z',
            type: 'production',
            formats: ['application/json'],
          },
        ],
      });
    },

    async services(req: Request, res: Response) {
      await checkJurisdiction(parse(z.object({ jurisdiction_id: jurisdiction }), req.query).jurisdiction_id);
      const t = tOf(res);
      res.json(
        URP_KINDS.flatMap((kind) =>
          URP_TOPICS.map((topic) => ({
            service_code: `${kind}.${topic}`,
            service_name: `${t(`urp.kinds.${kind}`)}: ${t(`urp.topics.${topic}`)}`,
            description: t(`urp.kindHints.${kind}`),
            metadata: false,
            type: 'realtime',
            keywords: `${kind}, ${topic}`,
            group: t(`urp.kinds.${kind}`),
          })),
        ),
      );
    },

    async serviceDefinition(req: Request<{ code: string }>, res: Response) {
      const parsed = serviceCode.safeParse(req.params.code);
      if (!parsed.success) throw new Open311Error(404, 'service_code: unknown service');
      res.json({ service_code: req.params.code, attributes: [] });
    },

    async post(req: Request, res: Response) {
      const input = parse(postSchema, req.body);
      if (!(await desk.people.apps.nameOf(input.api_key)))
        throw new Open311Error(403, 'api_key: not a valid key');
      await checkJurisdiction(input.jurisdiction_id);
      const fields = {
        kind: input.service_code.kind,
        topic: input.service_code.topic,
        body: input.jurisdiction_id ?? UNKNOWN_BODY,
        text: input.description,
        address: input.address_string,
        lat: input.lat,
        lon: input.long,
      };
      if (placeProblem(fields, deps.area))
        throw new Open311Error(400, 'lat/long: both, inside the area served');
      const token = await desk.askConfirmation(fields, input.email, input.locale ?? langOf(res), 'open311');
      res.status(201).json([
        {
          token,
          service_notice: tOf(res)('urp.open311.notice'),
        },
      ]);
    },

    async token(req: Request<{ token: string }>, res: Response) {
      if (!/^[0-9a-f]{32}$/.test(req.params.token)) throw new Open311Error(404, 'token: unknown token');
      const ref = await desk.people.apps.filedAs(req.params.token);
      res.json([{ token: req.params.token, ...(ref ? { service_request_id: ref } : {}) }]);
    },

    async list(req: Request, res: Response) {
      const query = parse(listQuery, req.query);
      await checkJurisdiction(query.jurisdiction_id);
      const now = Date.now();
      const end = query.end_date ?? now;
      const start = query.start_date ?? end - 90 * DAY_MS;
      if (start > end) throw new Open311Error(400, 'start_date: after end_date');
      const refs = query.service_request_id ?? (await desk.store.reports(start, end, 1000));
      const found = await Promise.all(refs.map((ref) => desk.store.get(ref)));
      const shown = found.filter(
        (r): r is UrpRequest =>
          r !== undefined &&
          r.kind === PUBLIC_KIND &&
          (!query.service_code ||
            (r.kind === query.service_code.kind && r.topic === query.service_code.topic)) &&
          (!query.status || (query.status === 'closed') === (r.status === 'closed')) &&
          (!query.jurisdiction_id || r.assigned === query.jurisdiction_id),
      );
      res.json(await Promise.all(shown.map((r) => publicView(r, res))));
    },

    async one(req: Request<{ id: string }>, res: Response) {
      const request = REFERENCE.test(req.params.id) ? await desk.store.get(req.params.id) : undefined;
      if (!request || request.kind !== PUBLIC_KIND)
        throw new Open311Error(404, 'service_request_id: not found');
      res.json([await publicView(request, res)]);
    },

    notFound(_req: Request, _res: Response, next: NextFunction) {
      next(new Open311Error(404, 'no such endpoint'));
    },

    /** Every error under the Open311 base in GeoReport's format: [{ code, description }]. */
    errors(error: unknown, _req: Request, res: Response, next: NextFunction) {
      if (!(error instanceof AppError) || !error.expose) return next(error);
      const description = error instanceof Open311Error ? error.message : error.code;
      res.status(error.status).json([{ code: error.status, description }]);
    },
  };
}

export type Open311Controller = ReturnType<typeof createOpen311Controller>;
