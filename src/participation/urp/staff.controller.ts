import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Catalog } from '../../catalog/catalog.module.ts';
import { parseInput } from '../../catalog/validation.ts';
import { AppError, ForbiddenError } from '../../platform/errors.ts';
import { isLanguage, type Language } from '../../platform/i18n.ts';
import { newOneTimeToken } from '../../platform/one-time-token.ts';
import { renderPage } from '../../platform/views.ts';
import { editableBody } from '../../registry/editor/editor-access.ts';
import { summaryOf } from '../ratings/ratings.repository.ts';
import { screenComment } from '../ratings/screen.ts';
import {
  daysLeft,
  messageText,
  publishForm,
  REFERENCE,
  TEXT_MAX,
  URP_KINDS,
  URP_STATUSES,
  URP_TOPICS,
} from './model.ts';
import { requestNotFound, type Actor, type UrpDesk } from './urp.service.ts';

const PAGE_SIZE = 50;
const langOf = (res: Response): Language => (isLanguage(res.locals.lang) ? res.locals.lang : 'it');
const fiscalCodeOf = (req: Request) => {
  const citizen = req.session.citizen;
  if (!citizen) throw new AppError(401, 'login_required');
  return citizen.fiscalCode;
};

const ipa = z.string().regex(/^[a-z0-9_]{2,32}$/);
/** A queue's filters, from the query string: anything outside the lists is a 400. */
const queueQuery = z.strictObject({
  status: z.enum(URP_STATUSES).or(z.literal('')).optional(),
  kind: z.enum(URP_KINDS).or(z.literal('')).optional(),
  topic: z.enum(URP_TOPICS).or(z.literal('')).optional(),
  due: z.enum(['overdue', 'week']).or(z.literal('')).optional(),
  body: ipa.or(z.literal('')).optional(),
  page: z.coerce.number().int().min(1).max(10_000).optional(),
});
const textForm = z.strictObject({ _csrf: z.string(), text: messageText(1, TEXT_MAX) });
const routeForm = z.strictObject({ _csrf: z.string(), body: ipa });
const csrfOnly = z.strictObject({ _csrf: z.string() });
const personForm = z.strictObject({
  _csrf: z.string(),
  fiscalCode: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{16}$/),
});

const appForm = z.strictObject({
  _csrf: z.string(),
  name: messageText(2, 80).refine((v) => !v.includes('\n')),
});
const revokeForm = z.strictObject({ _csrf: z.string(), id: z.string().regex(/^[0-9a-f]{64}$/) });

const templateName = messageText(2, 60).refine((v) => !v.includes('\n'), 'one line');
const templateForm = z.strictObject({
  _csrf: z.string(),
  name: templateName,
  text: messageText(1, TEXT_MAX),
});
const templateRemoval = z.strictObject({ _csrf: z.string(), name: templateName });
const templateQuery = z.object({ template: z.string().max(200).optional() });

const empty = <T extends string>(v: T | '' | undefined): T | undefined => (v === '' ? undefined : v);

type StaffRequest = Request<{ ref?: string; ipaCode?: string }>;

/**
 * The desk's staff: URP operators (/urp/queue, /urp/requests/:ref: every request; answer, route and
 * re-route, note, close) and a body's answerers (/urp/bodies/:ipaCode/…: only what is routed to their
 * body; answer, note, close); the admins name the operators (/admin/urp), a body's editors its
 * answerers (/editor/bodies/:ipaCode/urp). Roles are read from Redis on every request.
 */
export function createUrpStaffController(deps: {
  desk: UrpDesk;
  catalog: Pick<Catalog, 'index' | 'repository'>;
}) {
  const { desk } = deps;

  async function bodyNames(lang: Language) {
    const all = await deps.catalog.index.approvedBodies();
    return all
      .map((b) => ({ ipaCode: b.ipaCode, name: b.name[lang] }))
      .sort((a, b) => a.name.localeCompare(b.name, lang));
  }

  /** The staff member of this request: an operator on /urp/…, an answerer of the body on /urp/bodies/…. */
  async function actorOf(req: StaffRequest): Promise<Actor> {
    const body = req.params.ipaCode;
    if (body !== undefined && !ipa.safeParse(body).success) throw new ForbiddenError('not_urp_staff');
    const actor = await desk.actor(fiscalCodeOf(req), body);
    if (!actor) throw new ForbiddenError('not_urp_staff');
    return actor;
  }

  async function operatorsPage(req: Request, res: Response, issuedKey?: string) {
    res.set('Cache-Control', 'no-store');
    renderPage(req, res, 'participation/urp-people', {
      heading: 'operators',
      action: '/admin/urp',
      people: await desk.people.operators.list(),
      apps: await desk.people.apps.list(),
      issuedKey,
      invalid: req.query.invalid === '1',
    });
  }

  const base = (actor: Actor) => (actor.role === 'urp' ? '/urp' : `/urp/bodies/${actor.body}`);

  async function requestOf(req: StaffRequest) {
    const actor = await actorOf(req);
    const ref = req.params.ref ?? '';
    if (!REFERENCE.test(ref)) throw requestNotFound();
    return { actor, request: await desk.forStaff(actor, ref) };
  }

  async function showRequest(req: StaffRequest, res: Response, status = 200) {
    const { actor, request } = await requestOf(req);
    const bodies = await bodyNames(langOf(res));
    const names = new Map(bodies.map((b) => [b.ipaCode, b.name]));
    const [thread, notes, history, templates, published] = await Promise.all([
      desk.store.thread(request.ref),
      desk.store.notes(request.ref),
      desk.store.history(request.ref),
      desk.people.templates.list(actor.body),
      desk.store.publicOf(request.ref),
    ]);
    const chosen = templateQuery.safeParse(req.query);
    const template = chosen.success ? templates.find((t) => t.name === chosen.data.template) : undefined;
    res.status(status).set('Cache-Control', 'no-store');
    renderPage(req, res, 'participation/urp-staff-request', {
      actor,
      base: base(actor),
      request,
      daysLeft: daysLeft(request.dueAt),
      thread,
      notes,
      history,
      bodies,
      bodyName: (code: string | undefined) => (code ? (names.get(code) ?? code) : undefined),
      saved: typeof req.query.saved === 'string' ? req.query.saved : undefined,
      invalid: status === 422,
      templates,
      template,
      // A suggestion its author agreed to publish: what was published, else its text screened.
      publication:
        actor.role === 'urp' && request.kind === 'suggestion' && request.publishable
          ? {
              published,
              draft: published?.text ?? screenComment(request.text),
              answer: published?.answer ?? '',
            }
          : undefined,
    });
  }

  async function templatesPage(req: StaffRequest, res: Response, status = 200) {
    const actor = await actorOf(req);
    const names = new Map((await bodyNames(langOf(res))).map((b) => [b.ipaCode, b.name]));
    res.status(status).set('Cache-Control', 'no-store');
    renderPage(req, res, 'participation/urp-templates', {
      actor,
      base: base(actor),
      owner: actor.body ? (names.get(actor.body) ?? actor.body) : undefined,
      templates: await desk.people.templates.list(actor.body),
      invalid: status === 422,
      full: status === 409,
    });
  }

  /** A staff action posted: the request's page again (422) when the form is wrong. */
  const action =
    (run: (ctx: Awaited<ReturnType<typeof requestOf>>, body: unknown) => Promise<string | undefined>) =>
    async (req: StaffRequest, res: Response) => {
      const ctx = await requestOf(req);
      const saved = await run(ctx, req.body);
      if (saved === undefined) return showRequest(req, res, 422);
      res.redirect(303, `${base(ctx.actor)}/requests/${ctx.request.ref}?saved=${saved}`);
    };

  return {
    async queue(req: StaffRequest, res: Response) {
      const actor = await actorOf(req);
      const query = parseInput(queueQuery, req.query, 400);
      const filter = {
        status: empty(query.status),
        kind: empty(query.kind),
        topic: empty(query.topic),
        due: empty(query.due),
      };
      const chosenBody = actor.role === 'urp' ? empty(query.body) : actor.body;
      const page = query.page ?? 1;
      const scope = chosenBody ? `b:${chosenBody}` : 'all';
      const { total, rows } = await desk.store.queue(scope, filter, {
        offset: (page - 1) * PAGE_SIZE,
        count: PAGE_SIZE,
      });
      const bodies = await bodyNames(langOf(res));
      const names = new Map(bodies.map((b) => [b.ipaCode, b.name]));
      // Counted in the ratings' own format (src/participation/ratings/ratings.repository.ts).
      const satisfaction = summaryOf(await desk.store.ratings(actor.body));
      const params = new URLSearchParams(
        Object.entries({ ...filter, body: actor.role === 'urp' ? chosenBody : undefined }).flatMap(
          ([k, v]) => (v ? [[k, v]] : []),
        ),
      );
      const pageHref = (n: number) =>
        `${base(actor)}/queue?${new URLSearchParams([...params, ['page', String(n)]])}`;
      res.set('Cache-Control', 'no-store');
      renderPage(req, res, 'participation/urp-queue', {
        actor,
        base: base(actor),
        query: { ...filter, body: chosenBody ?? '' },
        bodies,
        bodyTitle: actor.body ? names.get(actor.body) : undefined,
        satisfaction,
        total,
        rows: rows.map((r) => ({
          ...r,
          bodyName: r.assigned ? (names.get(r.assigned) ?? r.assigned) : undefined,
          daysLeft: daysLeft(r.dueAt),
        })),
        kinds: URP_KINDS,
        topics: URP_TOPICS,
        statuses: URP_STATUSES,
        previous: page > 1 ? pageHref(page - 1) : undefined,
        next: page * PAGE_SIZE < total ? pageHref(page + 1) : undefined,
      });
    },

    showRequest: (req: StaffRequest, res: Response) => showRequest(req, res),

    answer: action(async ({ actor, request }, body) => {
      const parsed = textForm.safeParse(body);
      if (!parsed.success) return undefined;
      await desk.answer(request, actor, parsed.data.text);
      return 'answer';
    }),

    note: action(async ({ actor, request }, body) => {
      const parsed = textForm.safeParse(body);
      if (!parsed.success) return undefined;
      await desk.note(request, actor, parsed.data.text);
      return 'note';
    }),

    close: action(async ({ actor, request }, body) => {
      parseInput(csrfOnly, body, 400);
      await desk.close(request, actor);
      return 'close';
    }),

    publish: action(async ({ actor, request }, body) => {
      const parsed = publishForm.safeParse(body);
      if (!parsed.success) return undefined;
      await desk.publish(request, actor, { text: parsed.data.text, answer: parsed.data.answer });
      return 'publish';
    }),

    unpublish: action(async ({ actor, request }, body) => {
      parseInput(csrfOnly, body, 400);
      await desk.unpublish(request, actor);
      return 'unpublish';
    }),

    route: action(async ({ actor, request }, body) => {
      const parsed = routeForm.safeParse(body);
      if (!parsed.success) return undefined;
      if ((await deps.catalog.repository.getBody(parsed.data.body))?.status !== 'approved') return undefined;
      await desk.route(request, actor, parsed.data.body);
      return 'route';
    }),

    /** The answer templates of the URP (operators) or of a body (its answerers). */
    templates: (req: StaffRequest, res: Response) => templatesPage(req, res),

    async saveTemplate(req: StaffRequest, res: Response) {
      const actor = await actorOf(req);
      const parsed = templateForm.safeParse(req.body);
      if (!parsed.success) return templatesPage(req, res, 422);
      if (!(await desk.people.templates.save(actor.body, parsed.data.name, parsed.data.text)))
        return templatesPage(req, res, 409);
      res.redirect(303, `${base(actor)}/templates`);
    },

    async removeTemplate(req: StaffRequest, res: Response) {
      const actor = await actorOf(req);
      const parsed = templateRemoval.safeParse(req.body);
      if (!parsed.success) return templatesPage(req, res, 422);
      await desk.people.templates.remove(actor.body, parsed.data.name);
      res.redirect(303, `${base(actor)}/templates`);
    },

    /** The admins' page of the URP operators and of the apps' Open311 keys. */
    operators: (req: Request, res: Response) => operatorsPage(req, res),

    /** Issues an Open311 API key to an app: shown once on the page that answers, stored by its hash. */
    async issueAppKey(req: Request, res: Response) {
      const parsed = appForm.safeParse(req.body);
      if (!parsed.success) return res.redirect(303, '/admin/urp?invalid=1');
      const key = newOneTimeToken();
      await desk.people.apps.issue(parsed.data.name, key);
      req.log?.info('urp app key issued');
      await operatorsPage(req, res, key);
    },

    async revokeAppKey(req: Request, res: Response) {
      const parsed = revokeForm.safeParse(req.body);
      if (!parsed.success) return res.redirect(303, '/admin/urp?invalid=1');
      await desk.people.apps.revoke(parsed.data.id);
      req.log?.info('urp app key revoked');
      res.redirect(303, '/admin/urp');
    },

    /** Names (add) or removes an operator, by fiscal code. */
    changeOperators: (change: 'add' | 'remove') => async (req: Request, res: Response) => {
      const parsed = personForm.safeParse(req.body);
      if (!parsed.success) return res.redirect(303, '/admin/urp?invalid=1');
      await desk.people.operators[change](parsed.data.fiscalCode);
      req.log?.info({ change }, 'urp operators changed');
      res.redirect(303, '/admin/urp');
    },

    /** A body's editors' page of its answerers. */
    async answerers(req: Request<{ ipaCode: string }>, res: Response) {
      const body = await editableBody(deps.catalog.repository, req, req.params.ipaCode);
      res.set('Cache-Control', 'no-store');
      renderPage(req, res, 'participation/urp-people', {
        heading: 'answerers',
        bodyName: body.name[langOf(res)],
        action: `/editor/bodies/${body.ipaCode}/urp`,
        people: await desk.people.answerers.list(body.ipaCode),
        invalid: req.query.invalid === '1',
      });
    },

    /** Names (add) or removes one of a body's answerers, by fiscal code. */
    changeAnswerers:
      (change: 'add' | 'remove') => async (req: Request<{ ipaCode: string }>, res: Response) => {
        const body = await editableBody(deps.catalog.repository, req, req.params.ipaCode);
        const back = `/editor/bodies/${body.ipaCode}/urp`;
        const parsed = personForm.safeParse(req.body);
        if (!parsed.success) return res.redirect(303, `${back}?invalid=1`);
        await desk.people.answerers[change](body.ipaCode, parsed.data.fiscalCode);
        req.log?.info({ change, body: body.ipaCode }, 'urp answerers changed');
        res.redirect(303, back);
      },
  };
}

export type UrpStaffController = ReturnType<typeof createUrpStaffController>;
