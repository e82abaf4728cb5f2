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
 * Modules' routers, in order, each entered only by requests whose first path segment one of its routes
 * (or of its middleware mounted at a path) starts with: one handler for them all.
 * Express offers every request to every router mounted on the app, and each router tries each of its
 * routes: a page served by the last router (the personal area) came after some 150 tries; and a gate per
 * router still cost each request a pass through the app's stack per router. Here the routers a first
 * segment can enter are listed once, on the first request that has it (every route is registered by
 * then), and only those are tried. A router with middleware mounted at its root, or with a path that
 * starts with a parameter, is entered by every request, in its place in the order. An error a router
 * passes on goes to the app's error handlers, past the routers after it (as Express would: a router
 * does not handle errors).
 */
export function enteredByTheirPaths(routers: readonly Router[]): RequestHandler {
  let gates: Array<Set<string> | undefined> | null = null;
  let always: Router[] | null = null;
  const bySegment = new Map<string, Router[]>();
  const routersFor = (segment: string): Router[] => {
    const known = bySegment.get(segment);
    if (known) return known;
    const entry = (gates ??= routers.map(entrySegments));
    const enters = (i: number, served: boolean) =>
      entry[i] === undefined || (served && entry[i].has(segment));
    // Segments come from requests: only those some router serves are kept; the rest share one list.
    if (!entry.some((gate) => gate?.has(segment)))
      return (always ??= routers.filter((_, i) => enters(i, false)));
    const list = routers.filter((_, i) => enters(i, true));
    bySegment.set(segment, list);
    return list;
  };
  return (req: Request, res: Response, next: NextFunction) => {
    const list = routersFor(firstSegment(req.path));
    let at = 0;
    const onward = (error?: unknown) => {
      if (error !== undefined && error !== null) return next(error);
      const router = list[at++];
      if (router === undefined) return next();
      router(req, res, onward);
    };
    onward();
  };
}
