import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { NotAcceptableError } from './errors.ts';
import { renderPage } from './views.ts';

/**
 * Pages that are the same for every anonymous visitor in a language — the home page, a service's
 * information sheet — rendered once per version of what they show and sent again. A logged-in citizen's
 * page is rendered for them, never kept.
 *
 * What is each response's own in a kept page is its CSP nonce: the page is rendered with a marker in the
 * nonce's place and kept as the text around it, and each response gets its own nonce there, the one its
 * CSP header names. Nothing else of a visitor may be in a kept page: rendering one that asks for a form
 * token (res.locals.csrfToken, which is the visitor's own) fails, and the page is not kept.
 */
export interface PageCache {
  /**
   * Sends `view` as `key` at `version` (a caller keys a page by everything it shows: the catalog
   * version, the service), rendering it with the locals `locals()` gives when the kept copy is of another
   * version or there is none; for a logged-in citizen, renders it for them. 406 when the client does not
   * accept HTML, like renderPage.
   */
  send(
    req: Request,
    res: Response,
    page: { key: string; version: string; view: string; locals: () => Record<string, unknown> },
  ): Promise<void>;
}

/** Where the nonce goes in a kept page: random per process, so no content can hold it by chance. */
const NONCE_MARKER = `varco${randomBytes(12).toString('hex')}x`;

/**
 * A kept page: the text around its nonces, encoded once (encoding a page of two-byte text, accents and
 * typographic quotes, to UTF-8 for every response cost more than the rest of sending it).
 */
interface KeptPage {
  version: string;
  texts: Buffer[];
}

const noFormToken = () => {
  throw new Error('a page kept for every anonymous visitor carries no form token');
};

export function createPageCache(options: { maxKeys: number }): PageCache {
  // In order of use, the least recently used first.
  const kept = new Map<string, KeptPage>();

  function render(res: Response, view: string, locals: Record<string, unknown>): Promise<string> {
    return new Promise((resolve, reject) => {
      const shared = { cspNonce: NONCE_MARKER, csrfToken: noFormToken };
      res.app.render(view, { ...res.locals, ...locals, ...shared }, (error, html) =>
        error ? reject(error as Error) : resolve(html),
      );
    });
  }

  function withNonce(page: KeptPage, nonce: string): Buffer {
    const nonceBytes = Buffer.from(nonce);
    return Buffer.concat(page.texts.flatMap((text, i) => (i === 0 ? [text] : [nonceBytes, text])));
  }

  return {
    async send(req, res, { key, version, view, locals }) {
      if (res.locals.citizen) return renderPage(req, res, view, locals());
      if (!req.accepts('html')) throw new NotAcceptableError();
      // The language, and the address the language links come back to, are shown on every page.
      const fullKey = `${key}\n${String(res.locals.lang)}\n${String(res.locals.currentPath)}`;
      let page = kept.get(fullKey);
      if (page?.version !== version) {
        const html = await render(res, view, locals());
        page = { version, texts: html.split(NONCE_MARKER).map((text) => Buffer.from(text)) };
      }
      // Put back as the most recently used, making room by forgetting the least recently used.
      kept.delete(fullKey);
      const oldest = kept.keys().next();
      if (kept.size >= options.maxKeys && !oldest.done) kept.delete(oldest.value);
      kept.set(fullKey, page);
      res.type('html').send(withNonce(page, res.locals.cspNonce as string));
    },
  };
}
