import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

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

/**
 * A fresh CSP nonce per response, for the few script and style tags the pages carry, and the security
 * headers: no-store (a page that a cache replays would replay its nonce too, and pages carry personal
 * data; static files set their own long-lived caching after this), then helmet's (above), whose policy
 * reads the nonce from res.locals.
 */
export function securityHeaders(options: { https: boolean }) {
  const helmetHeaders = helmetMiddleware(options);
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.cspNonce = randomBytes(16).toString('base64');
    res.setHeader('Cache-Control', 'no-store');
    helmetHeaders(req, res, next);
  };
}
