import type { RequestHandler } from 'express';

/**
 * The rate limits of logging in, each per client address (src/platform/rate-limit.ts) on a counter of
 * its own: starting a login at an identity provider (`rateLimit.login`), and what the providers send
 * back through the browser, the SPID ACS and single logout and the OpenID Connect callback
 * (`rateLimit.loginReturn`). Apart, so that a citizen's answers never use up the budget of starts.
 */
export interface LoginLimits {
  start: RequestHandler;
  providerReturn: RequestHandler;
}
