import type { Request } from 'express';

/** A cookie's raw value, found without splitting the whole header (it also carries the session's). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (let at = header.indexOf(name); at !== -1; at = header.indexOf(name, at + 1)) {
    const before = header.lastIndexOf(';', at);
    const startsHere = header.slice(before + 1, at).trim() === '';
    if (startsHere && header.charCodeAt(at + name.length) === 61 /* = */) {
      const end = header.indexOf(';', at);
      return header.slice(at + name.length + 1, end === -1 ? undefined : end).trim();
    }
  }
  return undefined;
}
