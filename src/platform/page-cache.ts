import { randomBytes } from 'node:crypto';
import ejs from 'ejs';
import type { Request, Response } from 'express';
import type { CitizenIdentity } from '../identity/citizen.ts';
import { NotAcceptableError } from './errors.ts';

/**
 * Pages that are the same for every visitor who shares a key — the anonymous home page in a language, a
 * service's information sheet — rendered once per version of what they show and served again with what
 * is each visitor's own put back in: the response's CSP nonce, the session's form token and, for a
 * logged-in citizen, their name in the header. The page is rendered with a marker in each of those
 * places and kept as the text between the markers. Only the server keeps the copy: the response stays
 * no-store with a fresh nonce, like every page, and is byte for byte what rendering it would have sent.
 *
 * The copy is kept per key given, language, the path the language links come back to, and whether a
 * citizen is logged in. A caller may cache a page only when its key and version name everything else
 * the page shows (a favourite flag, the catalog version). The citizen is there only by name: a kept page
 * whose template reads anything else of the citizen (the fiscal code, the level) fails to render and is
 * not kept, so one citizen's data can never be served to another. A page whose render fails is not kept.
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

/** Where a visitor's own text goes in a kept page: random per process, so no content can hold it by chance. */
const MARKER = `varco${randomBytes(12).toString('hex')}x`;
const HOLES = { nonce: 'n', csrf: 'c', name: 'g', familyName: 'f' } as const;
type Hole = (typeof HOLES)[keyof typeof HOLES];
const EMPTY = Buffer.alloc(0);
const HOLE = new RegExp(`${MARKER}([${Object.values(HOLES).join('')}])`);

/**
 * A kept page: texts[0], then each hole followed by the text after it. The texts are kept encoded: a
 * page of real text (accents, typographic quotes) is a two-byte string, and encoding it to UTF-8 for
 * every response cost more than the rest of sending it (bench/http-pages.ts, profiled).
 */
interface KeptPage {
  version: string;
  texts: Buffer[];
  holes: Hole[];
}

/** The citizen a kept page is rendered for: a name only. */
const CITIZEN_BY_NAME = new Proxy(
  { name: MARKER + HOLES.name, familyName: MARKER + HOLES.familyName },
  {
    get(target, property) {
      if (property === 'name' || property === 'familyName') return target[property];
      if (typeof property === 'symbol') return undefined;
      throw new Error(`a page kept for every citizen shows the citizen by name only, not ${property}`);
    },
  },
);

export function createPageCache(options: { maxKeys: number }): PageCache {
  // In order of use, the least recently used first.
  const kept = new Map<string, KeptPage>();

  function render(res: Response, view: string, locals: Record<string, unknown>): Promise<string> {
    return new Promise((resolve, reject) => {
      const holes = {
        cspNonce: MARKER + HOLES.nonce,
        csrfToken: () => MARKER + HOLES.csrf,
        citizen: res.locals.citizen ? CITIZEN_BY_NAME : undefined,
      };
      res.app.render(view, { ...res.locals, ...locals, ...holes }, (error, html) =>
        error ? reject(error as Error) : resolve(html),
      );
    });
  }

  function split(html: string): Omit<KeptPage, 'version'> {
    const pieces = html.split(HOLE);
    return {
      texts: pieces.filter((_, i) => i % 2 === 0).map((text) => Buffer.from(text)),
      holes: pieces.filter((_, i) => i % 2 === 1) as Hole[],
    };
  }

  function fill(page: KeptPage, res: Response): Buffer {
    const citizen = res.locals.citizen as CitizenIdentity | undefined;
    const value = (hole: Hole): string => {
      switch (hole) {
        case HOLES.nonce:
          return res.locals.cspNonce as string;
        case HOLES.csrf:
          return (res.locals.csrfToken as () => string)();
        case HOLES.name:
          return ejs.escapeXML(citizen?.name ?? '');
        case HOLES.familyName:
          return ejs.escapeXML(citizen?.familyName ?? '');
      }
    };
    const parts = [page.texts[0] ?? EMPTY];
    page.holes.forEach((hole, i) => parts.push(Buffer.from(value(hole)), page.texts[i + 1] ?? EMPTY));
    return Buffer.concat(parts);
  }

  return {
    async send(req, res, { key, version, view, locals }) {
      if (!req.accepts('html')) throw new NotAcceptableError();
      const visitor = res.locals.citizen ? 'citizen' : 'anonymous';
      const fullKey = `${key}\n${String(res.locals.lang)}\n${String(res.locals.currentPath)}\n${visitor}`;
      let page = kept.get(fullKey);
      if (page?.version !== version) page = { version, ...split(await render(res, view, locals())) };
      // Put back as the most recently used, making room by forgetting the least recently used.
      kept.delete(fullKey);
      const oldest = kept.keys().next();
      if (kept.size >= options.maxKeys && !oldest.done) kept.delete(oldest.value);
      kept.set(fullKey, page);
      res.type('html').send(fill(page, res));
    },
  };
}
