import type { Request, Response } from 'express';
import { renderPage } from '../platform/views.ts';

/** Local paths that answer with a redirect to another site: a deep link to a body's service. */
const LEAVE_THE_SITE = ['/go/'];

/**
 * Ends a login where it was going. A login's last steps follow a form submission (the IdP's POST to
 * the ACS, a provider's login form, often a page of ours with `form-action 'self'`), and browsers hold
 * that form and every redirect after it to the form page's CSP form-action (CSP Level 3, section 6.4.1):
 * a 303 to a path that itself redirects to a body's site would stop at the gateway. Such a path is
 * reached through a page that moves on with a GET (an immediate refresh and a link); any other with a 303.
 */
export function finishLogin(req: Request, res: Response, returnTo: string): void {
  res.setHeader('Cache-Control', 'no-store');
  const leaves = LEAVE_THE_SITE.some((prefix) => returnTo.startsWith(prefix));
  if (!leaves || !req.accepts('html')) return res.redirect(303, returnTo);
  // The header shows who is now logged in (the request began without them).
  res.locals.citizen = req.session.citizen;
  renderPage(req, res, 'identity/onward', { onward: returnTo });
}
