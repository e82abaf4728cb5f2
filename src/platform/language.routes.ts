import { Router, type Request, type Response } from 'express';
import { AppError } from './errors.ts';
import { isLanguage, LANGUAGE_COOKIE } from './i18n.ts';
import { localPath } from './local-path.ts';

class UnknownLanguageError extends AppError {
  constructor() {
    super(400, 'language_unknown');
  }
}

/** GET /lang/:code?next=/path — remember the language (a year) and go back to a local page. */
export function languageRoutes(options: { secureCookie: boolean }): Router {
  const router = Router();
  router.get('/lang/:code', (req: Request<{ code: string }>, res: Response) => {
    const { code } = req.params;
    if (!isLanguage(code)) throw new UnknownLanguageError();
    res.cookie(LANGUAGE_COOKIE, code, {
      maxAge: 365 * 24 * 3600 * 1000,
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secureCookie,
    });
    res.redirect(303, localPath(req.query.next) ?? '/');
  });
  return router;
}
