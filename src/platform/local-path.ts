const BASE = new URL('http://varco.invalid');

/**
 * Returns `candidate`, its dot segments resolved, when it is a path on this site ("/me?x=1"), else
 * undefined. Rejects absolute and protocol-relative URLs, backslash tricks and control characters, so it
 * can never become an open redirect.
 */
export function localPath(candidate: unknown): string | undefined {
  if (typeof candidate !== 'string' || candidate.length > 2000 || !isPlainPath(candidate)) return undefined;
  const url = new URL(candidate, BASE);
  if (url.origin !== BASE.origin) return undefined;
  const path = url.pathname + url.search + url.hash;
  // Resolving dot segments can empty the first segment ("/..//evil.example", "/%2e//evil.example"
  // become "//evil.example"), which a browser reads as another host (RFC 3986 section 4.2): the path
  // handed back is checked too, not only the input.
  return isPlainPath(path) ? path : undefined;
}

/** One leading slash and no second one or backslash after it: never a network-path reference. */
function isPlainPath(text: string): boolean {
  return /^\/(?![/\\])/.test(text) && !text.includes('\\') && !hasControlCharacters(text);
}

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
