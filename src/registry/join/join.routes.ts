import { Router, type RequestHandler } from 'express';
import type { JoinController } from './join.controller.ts';

/** A body's request to join the network (/join): a form anyone may send, with a CSRF token. */
export function joinRoutes(controller: JoinController, formLimit: RequestHandler): Router {
  const router = Router();
  router.get('/join', controller.joinForm);
  router.post('/join', formLimit, controller.join);
  return router;
}
