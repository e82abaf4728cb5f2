import { LinkRejectedError } from './link-policy.ts';
import { bodyInputSchema, hostName, type Body } from './model.ts';
import { z } from 'zod';

/**
 * What a body may change about itself (registration API PUT /body, editor pages): its names, kind,
 * territory, contacts and logo. Its IPA code is its identity; its declared domains bound where its
 * links and endpoints may point, so only a network admin changes them (/admin).
 */
export const bodyProfileSchema = bodyInputSchema.omit({ ipaCode: true, domains: true, demoIpaCode: true });
export type BodyProfile = z.infer<typeof bodyProfileSchema>;

/** The declared domains an admin sets: 1–20 host names. */
export const bodyDomainsSchema = z.array(hostName).min(1).max(20);

/** A body's own website and logo must use https outside demo mode (the schema refused other schemes). */
export function checkBodyUrls(body: Pick<Body, 'contacts' | 'logo'>, options: { demo: boolean }): void {
  if (options.demo) return;
  for (const raw of [body.contacts.website, body.logo]) {
    if (raw && new URL(raw).protocol !== 'https:') {
      throw new LinkRejectedError("a body's website and logo must use https");
    }
  }
}
