import type { Request, Response } from 'express';
import { renderPage } from '../platform/views.ts';

/** Where every logout ends (local, SPID Single Logout, OpenID Connect RP-initiated logout). */
export const LOGGED_OUT_PATH = '/logged-out';

/** "You are logged out", said only to whom it is true: someone logged in again is sent home. */
export function loggedOutPage(req: Request, res: Response) {
  if (req.session.citizen) return res.redirect(303, '/');
  res.setHeader('Cache-Control', 'no-store');
  renderPage(req, res, 'identity/logged-out');
}
