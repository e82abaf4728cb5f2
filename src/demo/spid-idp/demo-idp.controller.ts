import type { Request, Response } from 'express';
import { renderPage } from '../../platform/views.ts';
import type { DemoIdp, PostBack } from './demo-idp.service.ts';

const rawQuery = (req: Request) => {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? '' : req.originalUrl.slice(at + 1);
};

export function createDemoIdpController(idp: DemoIdp) {
  /** HTTP-POST binding back to the ACS: a form with a visible "Continue" button, auto-submitted by a script. */
  function postBack(req: Request, res: Response, back: PostBack) {
    res.setHeader('Cache-Control', 'no-store');
    renderPage(req, res, 'demo/spid-idp/post', { back });
  }

  return {
    metadata(_req: Request, res: Response) {
      res.type('application/samlmetadata+xml').send(idp.metadata());
    },

    async sso(req: Request, res: Response) {
      const request = await idp.receive(rawQuery(req));
      res.setHeader('Cache-Control', 'no-store');
      renderPage(req, res, 'demo/spid-idp/login', { ...request, identities: idp.identities });
    },

    slo(req: Request, res: Response) {
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, idp.logout(rawQuery(req)));
    },

    async login(req: Request, res: Response) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const back =
        body.action === 'cancel'
          ? await idp.cancel(body.token)
          : await idp.authenticate(body.token, body.identity);
      postBack(req, res, back);
    },
  };
}
