import { Router, type RequestHandler } from 'express';
import { requireCitizen } from '../../identity/identity.controller.ts';
import type { UrpCitizenController } from './citizen.controller.ts';
import { OPEN311_BASE, type Open311Controller } from './open311.controller.ts';
import type { UrpStaffController } from './staff.controller.ts';

/** The citizen's side of the URP desk: the form, the confirmation link, their requests and the follow link. */
export function urpCitizenRoutes(
  controller: UrpCitizenController,
  guards: { formLimit: RequestHandler; postLimit: RequestHandler },
): Router {
  const router = Router();
  const posting = [guards.formLimit, guards.postLimit];
  router.get('/urp/new', controller.newForm);
  router.get('/urp/suggestions', controller.suggestions);
  router.post('/urp/new', ...posting, controller.file);
  router.get('/urp/confirm', guards.formLimit, controller.showConfirm);
  router.post('/urp/confirm', ...posting, controller.confirm);
  router.get('/urp/follow', guards.formLimit, controller.follow);
  router.post('/urp/follow/messages', ...posting, controller.followMessage);
  router.post('/urp/follow/rating', ...posting, controller.followRating);
  router.get('/me/requests', requireCitizen, controller.myRequests);
  router.get('/me/requests/:ref', requireCitizen, controller.checkReference, controller.myRequest);
  router.post(
    '/me/requests/:ref/messages',
    ...posting,
    requireCitizen,
    controller.checkReference,
    controller.myMessage,
  );
  router.post(
    '/me/requests/:ref/rating',
    ...posting,
    requireCitizen,
    controller.checkReference,
    controller.myRating,
  );
  return router;
}

/** The staff's side: operators' and answerers' queues and requests; who the operators and answerers are. */
export function urpStaffRoutes(
  controller: UrpStaffController,
  guards: { formLimit: RequestHandler; admin: RequestHandler[] },
): Router {
  const router = Router();
  const staff = [requireCitizen];
  const posting = [guards.formLimit, requireCitizen];
  for (const base of ['/urp', '/urp/bodies/:ipaCode']) {
    router.get(`${base}/queue`, ...staff, controller.queue);
    router.get(`${base}/requests/:ref`, ...staff, controller.showRequest);
    router.post(`${base}/requests/:ref/answer`, ...posting, controller.answer);
    router.post(`${base}/requests/:ref/note`, ...posting, controller.note);
    router.post(`${base}/requests/:ref/close`, ...posting, controller.close);
    router.get(`${base}/templates`, ...staff, controller.templates);
    router.post(`${base}/templates/save`, ...posting, controller.saveTemplate);
    router.post(`${base}/templates/remove`, ...posting, controller.removeTemplate);
  }
  router.post('/urp/requests/:ref/route', ...posting, controller.route);
  router.post('/urp/requests/:ref/publish', ...posting, controller.publish);
  router.post('/urp/requests/:ref/unpublish', ...posting, controller.unpublish);
  router.get('/admin/urp', ...guards.admin, controller.operators);
  router.post('/admin/urp/apps', guards.formLimit, ...guards.admin, controller.issueAppKey);
  router.post('/admin/urp/apps/revoke', guards.formLimit, ...guards.admin, controller.revokeAppKey);
  for (const change of ['add', 'remove'] as const) {
    router.post(
      `/admin/urp/${change}`,
      guards.formLimit,
      ...guards.admin,
      controller.changeOperators(change),
    );
    router.post(`/editor/bodies/:ipaCode/urp/${change}`, ...posting, controller.changeAnswerers(change));
  }
  router.get('/editor/bodies/:ipaCode/urp', requireCitizen, controller.answerers);
  return router;
}

/** Open311 GeoReport v2, JSON. */
export function open311Routes(controller: Open311Controller, guards: { postLimit: RequestHandler }): Router {
  const router = Router();
  const base = OPEN311_BASE;
  router.get(`${base}/discovery.json`, controller.discovery);
  router.get(`${base}/openapi.json`, controller.openApi);
  router.get(`${base}/services.json`, controller.services);
  router.get(`${base}/services/:code.json`, controller.serviceDefinition);
  router.post(`${base}/requests.json`, guards.postLimit, controller.post);
  router.get(`${base}/requests.json`, controller.list);
  router.get(`${base}/requests/:id.json`, controller.one);
  router.get(`${base}/tokens/:token.json`, controller.token);
  router.all(`${base}/*rest`, controller.notFound);
  router.use(base, controller.errors);
  return router;
}
