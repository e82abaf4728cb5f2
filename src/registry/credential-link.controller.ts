import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Catalog } from '../catalog/catalog.module.ts';
import { parseInput } from '../catalog/validation.ts';
import type { Language } from '../platform/i18n.ts';
import { renderPage } from '../platform/views.ts';
import type { CredentialLinks } from './credential-links.ts';

const tokenQuery = z.object({ token: z.string().max(100) });
const openForm = z.strictObject({ _csrf: z.string(), token: z.string().max(100) });

/**
 * The page a credential link opens (/credential?token=…, the token in the query so request logs never
 * hold it). A GET only shows a button: mail scanners that follow links must not use the link up. The
 * button's POST opens it, once; an opened, expired or unknown link is 410 Gone.
 */
export function createCredentialLinkController(deps: {
  links: CredentialLinks;
  catalog: Pick<Catalog, 'repository'>;
}) {
  const gone = (req: Request, res: Response) => {
    res.status(410);
    renderPage(req, res, 'registry/credential-link', { state: 'gone' });
  };
  const bodyName = async (ipa: string, lang: Language) =>
    (await deps.catalog.repository.getBody(ipa))?.name[lang] ?? ipa;

  return {
    async show(req: Request, res: Response) {
      const { token } = parseInput(tokenQuery, req.query, 404);
      const usable = await deps.links.usable(token);
      if (!usable) return gone(req, res);
      res.set('Cache-Control', 'no-store');
      res.set('Referrer-Policy', 'no-referrer');
      renderPage(req, res, 'registry/credential-link', {
        state: 'ready',
        token,
        bodyName: await bodyName(usable.bodyId, res.locals.lang as Language),
      });
    },

    async open(req: Request, res: Response) {
      const { token } = parseInput(openForm, req.body, 400);
      const opened = await deps.links.open(token);
      if (!opened) return gone(req, res);
      res.set('Cache-Control', 'no-store');
      renderPage(req, res, 'registry/credential-link', {
        state: 'open',
        credential: { clientId: opened.clientId, token: opened.token },
        bodyName: await bodyName(opened.bodyId, res.locals.lang as Language),
      });
    },
  };
}

export type CredentialLinkController = ReturnType<typeof createCredentialLinkController>;
