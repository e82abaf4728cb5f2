import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { NotAcceptableError } from './errors.ts';

/**
 * Pages that are the same for every visitor who shares a key (the anonymous home page in a language),
 * rendered once per version of what they show and served again with the response's own CSP nonce:
 * the page is rendered with a marker in the nonce's place and kept as the text between the markers.
 * Only the server keeps the copy: the response stays no-store with a fresh nonce, like every page.
 *
 * A caller may cache a page only when everything the page reads is named by the key and the version:
 * never a page that shows a session's data or a form token. A page whose render fails is not kept.
 */
export interface PageCache {
  /**
   * Sends `view` as `key` at `version`, rendering it first when the kept copy is of another version
   * (or there is none), with the locals `locals()` gives (asked for only then). 406 when the client
   * does not accept HTML, like renderPage.
   */
  send(
    req: Request,
    res: Response,
    page: { key: string; version: string; view: string; locals: () => Record<string, unknown> },
  ): Promise<void>;
}

/** The nonce's place in a rendered page: random per process, so no content can hold it by chance. */
const MARKER = `varco-nonce-${randomBytes(12).toString('hex')}`;

export function createPageCache(options: { maxKeys: number }): PageCache {
  const kept = new Map<string, { version: string; parts: string[] }>();

  function render(res: Response, view: string, locals: Record<string, unknown>): Promise<string> {
    return new Promise((resolve, reject) => {
      // A form token is one session's: a page that asks for one is not everybody's, and fails here.
      const csrfToken = () => {
        throw new Error(`${view}: a page kept for every visitor cannot carry a form token`);
      };
      res.app.render(view, { ...res.locals, ...locals, cspNonce: MARKER, csrfToken }, (error, html) =>
        error ? reject(error as Error) : resolve(html),
      );
    });
  }

  return {
    async send(req, res, { key, version, view, locals }) {
      if (!req.accepts('html')) throw new NotAcceptableError();
      let page = kept.get(key);
      if (page?.version !== version) {
        page = { version, parts: (await render(res, view, locals())).split(MARKER) };
        if (!kept.has(key) && kept.size >= options.maxKeys) kept.clear();
        kept.set(key, page);
      }
      res.type('html').send(page.parts.join(res.locals.cspNonce as string));
    },
  };
}
