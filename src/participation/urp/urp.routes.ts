import { Router, type RequestHandler } from 'express';
import { requireCitizen } from '../../identity/identity.controller.ts';
import type { UrpCitizenController } from './citizen.controller.ts';

/** The citizen's side of the URP desk: the form, the confirmation link, their requests and the follow link. */
export function urpCitizenRoutes(
  controller: UrpCitizenController,
  guards: { formLimit: RequestHandler; postLimit: RequestHandler },
): Router {
  const router = Router();
  const posting = [guards.formLimit, guards.postLimit];
  router.get('/urp/new', controller.newForm);
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
