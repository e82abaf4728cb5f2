/**
 * Returns `candidate` when it is a path on this site ("/me?x=1"), else undefined. Rejects absolute and
 * protocol-relative URLs, backslash tricks and control characters, so it can never become an open redirect.
 */
export function localPath(candidate: unknown): string | undefined {
  if (typeof candidate !== 'string' || candidate.length > 2000) return undefined;
  if (!candidate.startsWith('/') || candidate.includes('\\') || hasControlCharacters(candidate))
    return undefined;
  const base = new URL('http://varco.invalid');
  const url = new URL(candidate, base);
  if (url.origin !== base.origin) return undefined;
  return url.pathname + url.search + url.hash;
}

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
