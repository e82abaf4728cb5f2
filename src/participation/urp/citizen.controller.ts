import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Catalog } from '../../catalog/catalog.module.ts';
import { parseInput } from '../../catalog/validation.ts';
import { AppError } from '../../platform/errors.ts';
import { isLanguage, type Language } from '../../platform/i18n.ts';
import { renderPage } from '../../platform/views.ts';
import {
  daysLeft,
  messageForm,
  newRequestForm,
  ratingForm,
  REFERENCE,
  URP_KINDS,
  URP_TOPICS,
  type UrpRequest,
} from './model.ts';
import { requestNotFound, type UrpDesk } from './urp.service.ts';

const langOf = (res: Response): Language => (isLanguage(res.locals.lang) ? res.locals.lang : 'it');
const citizenOf = (req: Request) => {
  const citizen = req.session.citizen;
  if (!citizen) throw new AppError(401, 'login_required');
  return citizen;
};
const tokenQuery = z.object({ token: z.string().max(100) });
const tokenField = z.object({ token: z.string().max(100) });
const pageQuery = z.strictObject({ page: z.coerce.number().int().min(1).max(10_000).optional() });
const confirmForm = z.strictObject({ _csrf: z.string(), token: z.string().max(100) });

/** The form as sent, shown back as text (the page escapes it), with the fields that were wrong. */
function formBack(body: unknown, errors: string[]) {
  const raw = (body ?? {}) as Record<string, unknown>;
  const text = (name: string, max: number) => (typeof raw[name] === 'string' ? raw[name].slice(0, max) : '');
  return {
    kind: text('kind', 20),
    topic: text('topic', 20),
    body: text('body', 40),
    text: text('text', 5000),
    address: text('address', 300),
    lat: text('lat', 20),
    lon: text('lon', 20),
    email: text('email', 300),
    publish: raw.publish === 'yes',
    errors,
  };
}

/**
 * The citizen's side of the URP desk: the form (/urp/new), the confirmation of an anonymous requester's
 * address (/urp/confirm), the requests of a logged-in citizen (/me/requests) and the page of one request
 * — the same for an anonymous requester, reached through their link (/urp/follow?token=…).
 */
export function createUrpCitizenController(deps: { desk: UrpDesk; catalog: Pick<Catalog, 'index'> }) {
  const { desk } = deps;

  async function bodies(lang: Language) {
    const all = await deps.catalog.index.approvedBodies();
    return all
      .map((b) => ({ ipaCode: b.ipaCode, name: b.name[lang] }))
      .sort((a, b) => a.name.localeCompare(b.name, lang));
  }

  async function showForm(req: Request, res: Response, form: ReturnType<typeof formBack>) {
    renderPage(req, res, 'participation/urp-new', {
      form,
      kinds: URP_KINDS,
      topics: URP_TOPICS,
      bodies: await bodies(langOf(res)),
      anonymous: !req.session.citizen,
    });
  }

  /** The page of one request for its requester: the thread, never the internal notes. */
  async function showRequest(
    req: Request,
    res: Response,
    request: UrpRequest,
    how: { action: string; token?: string; back?: string },
  ) {
    const lang = langOf(res);
    const names = new Map((await bodies(lang)).map((b) => [b.ipaCode, b.name]));
    res.set('Cache-Control', 'no-store');
    renderPage(req, res, 'participation/urp-request', {
      request,
      thread: await desk.store.thread(request.ref),
      bodyName: request.assigned ? (names.get(request.assigned) ?? request.assigned) : undefined,
      daysLeft: daysLeft(request.dueAt),
      action: how.action,
      token: how.token,
      back: how.back,
      filed: req.query.filed === '1',
      saved: typeof req.query.saved === 'string' ? req.query.saved : undefined,
    });
  }

  /** A message or a rating refused: the request's page again, 422, with what was wrong. */
  const refused = (res: Response) => res.status(422);

  return {
    async newForm(req: Request, res: Response) {
      await showForm(
        req,
        res,
        formBack({ kind: req.query.kind, topic: req.query.topic, body: req.query.body }, []),
      );
    },

    async file(req: Request, res: Response) {
      const citizen = req.session.citizen;
      const parsed = newRequestForm.safeParse(req.body);
      const errors = parsed.success
        ? await desk.problems(parsed.data)
        : [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'form')))];
      if (parsed.success && !citizen && !parsed.data.email) errors.push('email');
      if (!parsed.success || errors.length > 0) {
        res.status(422);
        return showForm(req, res, formBack(req.body, errors));
      }
      const { kind, topic, body, text, address, lat, lon, publish, email } = parsed.data;
      const fields = { kind, topic, body, text, address, lat, lon, publish };
      if (citizen) {
        const request = await desk.fileForCitizen(citizen.fiscalCode, fields, langOf(res));
        return res.redirect(303, `/me/requests/${request.ref}?filed=1`);
      }
      await desk.askConfirmation(fields, email as string, langOf(res));
      res.set('Cache-Control', 'no-store');
      renderPage(req, res, 'participation/urp-confirm', { state: 'sent', address: email });
    },

    async showConfirm(req: Request, res: Response) {
      const { token } = parseInput(tokenQuery, req.query, 404);
      res.set('Cache-Control', 'no-store');
      if (!(await desk.confirmable(token))) {
        res.status(410);
        return renderPage(req, res, 'participation/urp-confirm', { state: 'gone' });
      }
      renderPage(req, res, 'participation/urp-confirm', { state: 'confirm', token });
    },

    async confirm(req: Request, res: Response) {
      const { token } = parseInput(confirmForm, req.body, 400);
      const filed = await desk.confirm(token);
      res.set('Cache-Control', 'no-store');
      if (!filed) {
        res.status(410);
        return renderPage(req, res, 'participation/urp-confirm', { state: 'gone' });
      }
      renderPage(req, res, 'participation/urp-confirm', {
        state: 'filed',
        reference: filed.request.ref,
        follow: `/urp/follow?token=${filed.access}`,
        dueAt: filed.request.dueAt,
      });
    },

    /** The suggestions the URP published, newest first, with the bodies' answers: for everyone. */
    async suggestions(req: Request, res: Response) {
      const { page = 1 } = parseInput(pageQuery, req.query, 400);
      const names = new Map((await bodies(langOf(res))).map((b) => [b.ipaCode, b.name]));
      const { total, rows } = await desk.store.published({ offset: (page - 1) * 20, count: 20 });
      renderPage(req, res, 'participation/urp-suggestions', {
        rows: rows.map((r) => ({
          ...r,
          bodyName: r.assigned ? (names.get(r.assigned) ?? r.assigned) : undefined,
        })),
        previous: page > 1 ? `/urp/suggestions?page=${page - 1}` : undefined,
        next: page * 20 < total ? `/urp/suggestions?page=${page + 1}` : undefined,
      });
    },

    /** The personal area's section: how many requests the citizen has; the queues they work, if staff. */
    async personalArea(req: Request, res: Response) {
      const { fiscalCode } = citizenOf(req);
      const [refs, operator, answering] = await Promise.all([
        desk.people.citizenRequests.list(fiscalCode),
        desk.people.operators.has(fiscalCode),
        desk.people.answerers.bodiesOf(fiscalCode),
      ]);
      const all = answering.length > 0 ? await bodies(langOf(res)) : [];
      res.locals.urpRequests = {
        count: refs.length,
        operator,
        bodies: all.filter((b) => answering.includes(b.ipaCode)),
      };
    },

    /** The personal area's list of the citizen's requests. */
    async myRequests(req: Request, res: Response) {
      const requests = await desk.citizenRequests(citizenOf(req).fiscalCode);
      res.set('Cache-Control', 'no-store');
      renderPage(req, res, 'participation/urp-mine', {
        requests: requests.map((r) => ({ ...r, daysLeft: daysLeft(r.dueAt) })),
      });
    },

    async myRequest(req: Request<{ ref: string }>, res: Response) {
      const request = await desk.ownRequest(citizenOf(req).fiscalCode, req.params.ref);
      await showRequest(req, res, request, { action: `/me/requests/${request.ref}`, back: '/me/requests' });
    },

    async myMessage(req: Request<{ ref: string }>, res: Response) {
      const request = await desk.ownRequest(citizenOf(req).fiscalCode, req.params.ref);
      const parsed = messageForm.safeParse(req.body);
      if (!parsed.success) {
        refused(res);
        return showRequest(req, res, request, {
          action: `/me/requests/${request.ref}`,
          back: '/me/requests',
        });
      }
      await desk.requesterAdds(request, parsed.data.text);
      res.redirect(303, `/me/requests/${request.ref}?saved=message#thread`);
    },

    async myRating(req: Request<{ ref: string }>, res: Response) {
      const request = await desk.ownRequest(citizenOf(req).fiscalCode, req.params.ref);
      const { stars } = parseInput(ratingForm, req.body, 422);
      await desk.rate(request, stars);
      res.redirect(303, `/me/requests/${request.ref}?saved=rating`);
    },

    async follow(req: Request, res: Response) {
      const { token } = parseInput(tokenQuery, req.query, 404);
      const request = await desk.byAccess(token);
      await showRequest(req, res, request, { action: '/urp/follow', token });
    },

    async followMessage(req: Request, res: Response) {
      const { token } = parseInput(tokenField, req.body, 404);
      const request = await desk.byAccess(token);
      const parsed = messageForm.safeParse(
        Object.fromEntries(Object.entries(req.body as object).filter(([k]) => k !== 'token')),
      );
      if (!parsed.success) {
        refused(res);
        return showRequest(req, res, request, { action: '/urp/follow', token });
      }
      await desk.requesterAdds(request, parsed.data.text);
      res.redirect(303, `/urp/follow?token=${token}&saved=message#thread`);
    },

    async followRating(req: Request, res: Response) {
      const { token } = parseInput(tokenField, req.body, 404);
      const request = await desk.byAccess(token);
      const { stars } = parseInput(
        ratingForm,
        Object.fromEntries(Object.entries(req.body as object).filter(([k]) => k !== 'token')),
        422,
      );
      await desk.rate(request, stars);
      res.redirect(303, `/urp/follow?token=${token}&saved=rating`);
    },

    /** A reference that is not a reference: the same 404 as someone else's. */
    checkReference(req: Request<{ ref: string }>, _res: Response, next: (error?: unknown) => void) {
      next(REFERENCE.test(req.params.ref) ? undefined : requestNotFound());
    },
  };
}

export type UrpCitizenController = ReturnType<typeof createUrpCitizenController>;
