import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { randomToken } from './random-tokens.ts';

/** Where the nonce goes in the headers helmet is asked for once (see securityHeaders). */
const NONCE_MARKER = 'varco-csp-nonce-marker';

const nonce = (_req: unknown, res: unknown) => `'nonce-${(res as Response).locals.cspNonce as string}'`;

/**
 * helmet with a strict nonce-based CSP: no 'unsafe-inline' anywhere, forms post only to us, no framing.
 * HSTS only when the public address is https (behind a TLS-terminating proxy).
 */
export function helmetMiddleware(options: { https: boolean }) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", nonce],
        styleSrc: ["'self'", nonce],
        imgSrc: ["'self'", 'data:'],
        // data: for the icon font embedded in the UI kit's stylesheet (video.js); a font cannot run code.
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        upgradeInsecureRequests: options.https ? [] : null,
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginEmbedderPolicy: false,
    xFrameOptions: { action: 'deny' },
  });
}

/** The headers a helmet middleware sets, asked of it once with a response that only records them. */
function headersOf(middleware: ReturnType<typeof helmet>): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const recorder = {
    locals: { cspNonce: NONCE_MARKER },
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: () => undefined, // X-Powered-By: the app never sets it (app.ts)
  };
  let failure: unknown;
  middleware({} as Request, recorder as unknown as Response, (error?: unknown) => (failure = error));
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  return headers;
}

/**
 * A fresh CSP nonce per response, for the few script and style tags the pages carry, and the security
 * headers: helmet's (above), no-store (a page that a cache replays would replay its nonce too, and
 * pages carry personal data; static files set their own long-lived caching after this).
 * helmet's headers depend on nothing but its options and the nonce, so helmet is asked for them once,
 * at start, with a marker in the nonce's place: each response gets the same headers with its own nonce,
 * without helmet's thirteen middlewares and its policy built anew per request.
 */
export function securityHeaders(options: { https: boolean }) {
  const headers = headersOf(helmetMiddleware(options)).map(
    ([name, value]) => [name, value.split(NONCE_MARKER)] as const,
  );
  return (_req: Request, res: Response, next: NextFunction) => {
    const cspNonce = randomToken(16, 'base64');
    res.locals.cspNonce = cspNonce;
    res.setHeader('Cache-Control', 'no-store');
    for (const [name, parts] of headers)
      res.setHeader(name, parts.length === 1 ? (parts[0] ?? '') : parts.join(cspNonce));
    next();
  };
}
