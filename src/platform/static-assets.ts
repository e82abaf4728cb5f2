import express, { Router, type NextFunction, type Request, type Response } from 'express';

/** Files of a package in node_modules, served under a path that carries the package's version. */
export interface VersionedAssets {
  path: string;
  dir: string;
}

/**
 * Packages' files from node_modules under versioned paths (cached for a year, immutable: the UI kit,
 * AgID's SPID IdP logos) and the gateway's own files from public/ under /assets. express.static refuses
 * paths that climb out of its folder.
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
    router.use(assets.path, cacheable, files);
  }
  router.use('/assets', cacheable, express.static(publicDir, { ...common, maxAge: '1h' }));
  // Browsers ask for /favicon.ico on documents without an icon link (JSON, images): point them at ours.
  router.get('/favicon.ico', (_req, res) => res.redirect(301, '/assets/favicon.svg'));
  return router;
}
