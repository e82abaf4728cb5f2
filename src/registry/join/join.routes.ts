import { Router, type RequestHandler } from 'express';
import type { CredentialLinkController } from '../credential-link.controller.ts';
import type { JoinController } from './join.controller.ts';

/** A body's request to join the network (/join): a form anyone may send, with a CSRF token. */
export function joinRoutes(controller: JoinController, formLimit: RequestHandler): Router {
  const router = Router();
  router.get('/join', controller.joinForm);
  router.post('/join', formLimit, controller.join);
  return router;
}

/** The link a body's contact gets by mail to its new API credential: a page, then a button that opens it once. */
export function credentialLinkRoutes(
  controller: CredentialLinkController,
  formLimit: RequestHandler,
): Router {
  const router = Router();
  router.get('/credential', formLimit, controller.show);
  router.post('/credential', formLimit, controller.open);
  return router;
}
