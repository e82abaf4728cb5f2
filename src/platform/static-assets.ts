import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { precompressed } from './precompressed.ts';

/** What express.static sends with maxAge 365 days and immutable, for the compressed copies too. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Files of a package in node_modules, served under a path that carries the package's version. */
export interface VersionedAssets {
  path: string;
  dir: string;
}

/**
 * Packages' files from node_modules under versioned paths (cached for a year, immutable: the UI kit,
 * AgID's SPID IdP logos) and the gateway's own files from public/ under /assets. express.static refuses
 * paths that climb out of its folder. Text files go out compressed where the browser takes it, from
 * copies made once (precompressed.ts).
 */
export function staticAssets(packages: readonly VersionedAssets[], publicDir: string): Router {
  const router = Router();
  // Pages are no-store (see securityHeaders); files here choose their own caching.
  const cacheable = (_req: Request, res: Response, next: NextFunction) => {
    res.removeHeader('Cache-Control');
    next();
  };
  const common = { dotfiles: 'deny' as const, index: false as const, redirect: false, fallthrough: true };
  for (const assets of packages) {
    const files = express.static(assets.dir, { ...common, immutable: true, maxAge: '365d' });
    router.use(assets.path, cacheable, precompressed(assets.dir, IMMUTABLE), files);
  }
  const own = express.static(publicDir, { ...common, maxAge: '1h' });
  router.use('/assets', cacheable, precompressed(publicDir, 'public, max-age=3600'), own);
  // Browsers ask for /favicon.ico on documents without an icon link (JSON, images): point them at ours.
  router.get('/favicon.ico', (_req, res) => res.redirect(301, '/assets/favicon.svg'));
  return router;
}
