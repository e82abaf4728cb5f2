import { AppError } from '../platform/errors.ts';
import type { Body, DeepLink } from './model.ts';

export class LinkRejectedError extends AppError {
  constructor(message: string) {
    super(422, 'link_rejected', message);
  }
}

/** The fixed part of a deep link: its URL, or the template's scheme and host. */
export function linkOrigin(link: DeepLink): URL {
  const raw = 'url' in link ? link.url : link.template.replace(/\{[^{}]*\}/g, 'x');
  return new URL(raw);
}

const isDeclared = (host: string, domains: readonly string[]) => domains.includes(host.toLowerCase());

/**
 * A body's links may only lead to its own declared hosts, over https outside demo mode (the schema has
 * already refused every scheme other than http and https: no javascript:, data:, file:).
 */
export function checkServiceLinks(service: { deepLink: DeepLink }, body: Body, options: { demo: boolean }) {
  const url = linkOrigin(service.deepLink);
  if (url.protocol !== 'https:' && !(options.demo && url.protocol === 'http:')) {
    throw new LinkRejectedError('deep links must use https');
  }
  if (url.username || url.password) throw new LinkRejectedError('deep links may not carry credentials');
  if (!isDeclared(url.hostname, body.domains)) {
    throw new LinkRejectedError(`the host ${url.hostname} is not one of the body's declared domains`);
  }
}
