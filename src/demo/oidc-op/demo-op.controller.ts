import type { Request, Response } from 'express';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderPage } from '../../platform/views.ts';
import type { DemoOp } from './demo-op.ts';

/** The demo provider's login page (our form: CSRF token, nonce CSP, no script) and its answer. */
export function createDemoOpController(op: DemoOp) {
  return {
    async loginPage(req: Request<{ uid: string }>, res: Response) {
      const pending = await op.pending(req, res, req.params.uid);
      res.setHeader('Cache-Control', 'no-store');
      renderPage(req, res, 'demo/oidc-op/login', { ...pending, identities: op.identities });
    },

    async login(req: Request<{ uid: string }>, res: Response) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const next =
        body.action === 'cancel'
          ? await op.cancel(req, res, req.params.uid)
          : await op.login(req, res, req.params.uid, body.identity);
      res.redirect(303, next);
    },
  };
}

/**
 * Pages oidc-provider renders itself, through our views (bootstrap-italia, both languages, nonce CSP):
 * Express's res (with its locals) is the Koa context's res when the provider is mounted in Express.
 */
function renderInto(ctx: KoaContextWithOIDC, view: string, locals: Record<string, unknown>): Promise<void> {
  const res = ctx.res as unknown as Response;
  return new Promise((resolve) => {
    res.render(view, locals, (error: Error | null, html: string) => {
      ctx.type = 'html';
      ctx.body = error ? 'Error' : html;
      resolve();
    });
  });
}

export const demoOpPages = {
  /** RP-initiated logout: "log out of the demo CIE too?" — oidc-provider's own form (it carries its token). */
  logoutSource: (ctx: KoaContextWithOIDC, form: string) => renderInto(ctx, 'demo/oidc-op/logout', { form }),
  postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => renderInto(ctx, 'demo/oidc-op/logged-out', {}),
  renderError: (ctx: KoaContextWithOIDC, out: { error: string }) =>
    renderInto(ctx, 'demo/oidc-op/error', { code: String(out.error).slice(0, 100) }),
};
