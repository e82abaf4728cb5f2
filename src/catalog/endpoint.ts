import { z } from 'zod';
import { LinkRejectedError } from './link-policy.ts';
import { ipaCode, localizedShort, type Body } from './model.ts';

/**
 * A body's endpoint: where the gateway delivers a composite procedure's step to the body's system
 * (src/procedures/ reads it when it delivers). Unique per body by its id.
 */
export const endpointId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'an endpoint id: 2–64 lower-case letters, digits or dashes');

/** A procedure step id such as "newborn.birth-registration". */
export const stepId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/, 'a procedure step id such as "newborn.birth-registration"');

/** Any http(s) URL at the edge; which hosts and schemes a body may use is the policy below. */
const endpointUrl = z.url({ protocol: /^https?$/ }).max(2000);

export const ENDPOINT_STATUSES = ['active', 'disabled'] as const;
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];

/** What a body writes about one of its endpoints (registration API, editor pages, demo seed). */
export const endpointInputSchema = z.strictObject({
  title: localizedShort,
  url: endpointUrl,
  handles: z
    .array(stepId)
    .max(50)
    .refine((ids) => new Set(ids).size === ids.length, 'each step id once'),
});
export type EndpointInput = z.infer<typeof endpointInputSchema>;

export const endpointSchema = z.strictObject({
  id: endpointId,
  bodyIpa: ipaCode,
  title: localizedShort,
  url: endpointUrl,
  handles: z.array(stepId),
  status: z.enum(ENDPOINT_STATUSES),
  updatedAt: z.iso.datetime(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

export interface EndpointPolicyOptions {
  demo: boolean;
  /** The gateway's own origin: demo body systems live there, so demo mode accepts it. */
  gatewayOrigin?: string;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1'];

const isDemoLocal = (url: URL, options: EndpointPolicyOptions) =>
  options.demo && (LOOPBACK_HOSTS.includes(url.hostname) || url.origin === options.gatewayOrigin);

/**
 * The endpoint's host when it is not (any longer) among the body's declared domains: checked before each
 * delivery, so an admin withdrawing a domain stops deliveries to it at once.
 */
export function undeclaredEndpointHost(
  raw: string,
  body: Body,
  options: EndpointPolicyOptions,
): string | undefined {
  const url = new URL(raw);
  if (isDemoLocal(url, options)) return undefined;
  return body.domains.includes(url.hostname.toLowerCase()) ? undefined : url.hostname;
}

/**
 * An endpoint URL must use https and a host among the body's declared domains. Demo mode also
 * accepts http(s) on localhost, 127.0.0.1 and the gateway's own origin, where the demo body systems run.
 */
export function checkEndpointUrl(raw: string, body: Body, options: EndpointPolicyOptions): void {
  const url = new URL(raw);
  if (url.username || url.password) throw new LinkRejectedError('endpoint URLs may not carry credentials');
  if (isDemoLocal(url, options)) return;
  if (url.protocol !== 'https:') throw new LinkRejectedError('endpoint URLs must use https');
  if (!body.domains.includes(url.hostname.toLowerCase())) {
    throw new LinkRejectedError(`the host ${url.hostname} is not one of the body's declared domains`);
  }
}
