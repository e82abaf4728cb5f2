import { createRequire } from 'node:module';
import path from 'node:path';
import ejs from 'ejs';
import type { Express, NextFunction, Request, Response } from 'express';
import { NotAcceptableError } from './errors.ts';
import { LANGUAGES } from './i18n.ts';

const require = createRequire(import.meta.url);
const bootstrapItaliaVersion = (require('bootstrap-italia/package.json') as { version: string }).version;

/** Public paths of the UI kit; the version is part of the path so the assets can be cached forever. */
export const ASSETS = {
  bootstrapItalia: `/assets/bootstrap-italia/${bootstrapItaliaVersion}`,
  bootstrapItaliaDir: path.dirname(require.resolve('bootstrap-italia/package.json')) + '/dist',
};

/** What templates know of the assets: the kit's path, and the kit's stylesheet as the pages link it. */
export interface PageAssets {
  bootstrapItalia: string;
  /** The kit's stylesheet cut to the rules the pages use (kit-stylesheet.ts), beside the kit's own CSS. */
  kitStylesheet: string;
}

/**
 * The locals every page has (set by pageLocals below, languageMiddleware, the CSP nonce and the form
 * token's middleware, the session's citizen): each template reads them as variables. Any other local a
 * template uses it names on its first line, `<% const { service, body } = locals; -%>`.
 */
const PAGE_LOCALS = [
  't',
  'lang',
  'formatDate',
  'formatDateTime',
  'cspNonce',
  'csrfToken',
  'network',
  'assets',
  'languages',
  'currentPath',
  'citizen',
];

/**
 * How ejs compiles the views. Strict, without `with (locals)`: ejs's default scope made every name a
 * template reads (its locals, but also ejs's own output buffer and escaper) a lookup through the
 * locals object, and rendering several times slower; the page locals are destructured instead.
 * Templates include each other by paths from the views directory (`include('/layout/top')`, resolved
 * against `root` without looking at the disk); with `cache` each template is compiled once, and
 * without ejs's debug instrumentation (a line counter set before every line and a wrapper that rewrites
 * any error with the template's source around it): in development a failing template still names its line.
 */
export function viewOptions(options: { viewsDir: string; cache: boolean }): ejs.Options {
  return {
    root: path.resolve(options.viewsDir),
    cache: options.cache,
    compileDebug: !options.cache,
    strict: true,
    _with: false,
    destructuredLocals: PAGE_LOCALS,
  };
}

/** ejs as the view engine, through its own renderFile. */
export function setUpViews(app: Express, options: { viewsDir: string; cache: boolean }) {
  const ejsOptions = viewOptions(options);
  app.engine('ejs', (file, data, done) => ejs.renderFile(file, data, ejsOptions, done));
  app.set('view engine', 'ejs');
  app.set('views', options.viewsDir);
  app.set('view cache', options.cache);
}

/** What every page template may use. */
export function pageLocals(network: { name: string; territory: string; demo?: boolean }, assets: PageAssets) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.network = network;
    res.locals.assets = assets;
    res.locals.languages = LANGUAGES;
    // Where the language switch comes back to: this page, when it can be fetched again with a GET.
    res.locals.currentPath = req.method === 'GET' && req.originalUrl.length <= 2000 ? req.originalUrl : '/';
    res.locals.citizen = undefined;
    next();
  };
}

/**
 * Renders a page when the client accepts HTML; otherwise 406. Nothing when an answer has already gone
 * out (src/platform/redis-deadline.ts answered 503 while this handler waited on Redis): Express sends
 * the rendered page on the next tick, where the error of a second answer could not be caught. Checking
 * here is enough, as no other answer can go out between this call and that tick.
 */
export function renderPage(req: Request, res: Response, view: string, locals: Record<string, unknown> = {}) {
  if (res.headersSent) return;
  if (!req.accepts('html')) throw new NotAcceptableError();
  res.render(view, locals);
}
