import { Router } from 'express';
import type { createDemoOpController } from './demo-op.controller.ts';
import type { DemoOp } from './demo-op.ts';

/** Where the demo provider lives: its protocol endpoints, and its login page beside them. */
export const DEMO_OP_PATH = '/demo/oidc';
export const DEMO_OP_LOGIN_PATH = '/demo/oidc-login';

/**
 * The demo OpenID Provider; mounted only in demo mode (never in production). oidc-provider is mounted
 * under its own prefix (its "mounting" notes: the issuer carries the prefix, Express strips it), before
 * the body parsers and CSRF check; its login page is one of our pages, with our CSRF token.
 */
export function demoOpRoutes(op: DemoOp, controller: ReturnType<typeof createDemoOpController>) {
  const provider = Router();
  provider.use(DEMO_OP_PATH, op.provider.callback());
  const pages = Router();
  pages.get(`${DEMO_OP_LOGIN_PATH}/:uid`, controller.loginPage);
  pages.post(`${DEMO_OP_LOGIN_PATH}/:uid`, controller.login);
  return { provider, pages };
}
