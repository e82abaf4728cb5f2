import { parse } from 'cookie';
import type { Request } from 'express';

/** A cookie's value from the request's Cookie header (RFC 6265), parsed by the cookie package. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  return header ? parse(header)[name] : undefined;
}
