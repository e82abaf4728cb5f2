import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';

interface Layer {
  route?: { path?: unknown };
  /** The path the layer was mounted with (router.use), as the router keeps it. */
  rawPath?: unknown;
  slash?: boolean;
}

/** A route path's first segment when it is plain text (no parameter, wildcard or group), else undefined. */
function plainFirstSegment(path: unknown): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/')) return undefined;
  const first = firstSegment(path);
  return /[:*?+(){}[\]\\]/.test(first) ? undefined : first;
}

/** "/Me/sessions" → "me": routers match paths regardless of case (their default), so the gate does too. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return (end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/**
 * The first segments of every route and mounted middleware of `router`, or undefined when some request
 * could reach it otherwise: a middleware mounted at the root, a path that starts with a parameter or a
 * pattern.
 */
function entrySegments(router: Router): Set<string> | undefined {
  const stack = (router as unknown as { stack?: unknown }).stack;
  if (!Array.isArray(stack)) return undefined;
  const segments = new Set<string>();
  for (const layer of stack as Layer[]) {
    const mounted = layer.route ? layer.route.path : layer.rawPath;
    if (!layer.route && (layer.slash || mounted === '/')) return undefined; // router.use(handler)
    for (const path of Array.isArray(mounted) ? (mounted.flat(Infinity) as unknown[]) : [mounted]) {
      const segment = plainFirstSegment(path);
      if (segment === undefined) return undefined;
      segments.add(segment);
    }
  }
  return segments;
}

/**
 * A module's router, entered only by requests whose first path segment one of its routes (or of its
 * middleware mounted at a path) starts with.
 * Express offers every request to every router mounted on the app, and each router tries each of its
 * routes: a page served by the last router (the personal area) came after some 150 tries. A router with
 * middleware mounted at its root, or with a path that starts with a parameter, is entered by every
 * request as before. The segments are read on the first request, once every route is registered.
 */
export function enteredByItsPaths(router: Router): RequestHandler {
  let segments: Set<string> | undefined | null = null;
  return (req: Request, res: Response, next: NextFunction) => {
    if (segments === null) segments = entrySegments(router);
    if (segments === undefined || segments.has(firstSegment(req.path))) return router(req, res, next);
    next();
  };
}
