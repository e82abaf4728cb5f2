import type { ServerResponse } from 'node:http';

const ORIGIN = /^https?:\/\/(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * Lets the page being answered submit a form whose answer leads to `target`'s origin. Browsers hold a
 * form submission, and every redirect that follows it, to the submitting page's CSP `form-action`
 * (CSP Level 3, section 6.4.1): the consent and logout forms are answered with redirects to the body's
 * service, and the form_post response mode posts to it, so `'self'` alone would stop them there.
 * `target` must already be one of the client's registered URIs.
 */
export function allowFormTarget(res: ServerResponse, target: string): void {
  const csp = res.getHeader('content-security-policy');
  if (typeof csp !== 'string') return;
  let origin: string;
  try {
    origin = new URL(target).origin;
  } catch {
    return;
  }
  // Only a plain origin may enter the policy (a host with ";" or quotes would add directives).
  if (!ORIGIN.test(origin)) return;
  const directives = csp.split(';').map((directive) => {
    const [name, ...sources] = directive.trim().split(/\s+/);
    return name === 'form-action' && !sources.includes(origin) ? `${directive.trim()} ${origin}` : directive;
  });
  res.setHeader('content-security-policy', directives.join(';'));
}
