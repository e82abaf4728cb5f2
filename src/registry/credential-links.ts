import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { newOneTimeToken, ONE_TIME_TOKEN, tokenId } from '../platform/one-time-token.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { createSingleUseStore } from '../platform/single-use-store.ts';
import type { IssuedCredential } from './credentials.repository.ts';

/** How long the link to a new credential can be opened. */
export const CREDENTIAL_LINK_SECONDS = 24 * 60 * 60;

const recordSchema = z.object({
  bodyId: z.string(),
  clientId: z.string(),
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
});

/** The key that opens one credential: derived from the link's token, which only the mail carries. */
const keyOf = (token: string) => createHash('sha256').update(`varco:credential-link:${token}`).digest();

/**
 * One-time links to a body's new API credential: the credential reaches the body's contact by mail, to
 * be viewed once, and never the admin's screen. Key (single use, GETDEL, expiring after 24 h):
 *   registry:credential-link:<SHA-256 of the token>   JSON: bodyId, clientId and the credential,
 *                                                     AES-256-GCM under a key derived from the token
 * so what Redis holds, or a copy of it, shows neither the token nor the credential.
 */
export function createCredentialLinks(redis: RedisConnection, now: () => Date = () => new Date()) {
  const store = createSingleUseStore(
    redis,
    'registry:credential-link:',
    recordSchema,
    CREDENTIAL_LINK_SECONDS,
  );

  return {
    /** Stores a link to `credential`; returns its token (for the mail only) and when it expires. */
    async create(credential: IssuedCredential, bodyId: string): Promise<{ token: string; expiresAt: Date }> {
      const token = newOneTimeToken();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyOf(token), iv);
      cipher.setAAD(Buffer.from(`${bodyId}:${credential.clientId}`));
      const data = Buffer.concat([cipher.update(credential.token, 'utf8'), cipher.final()]);
      await store.save(tokenId(token), {
        bodyId,
        clientId: credential.clientId,
        iv: iv.toString('base64url'),
        tag: cipher.getAuthTag().toString('base64url'),
        data: data.toString('base64url'),
      });
      return { token, expiresAt: new Date(now().getTime() + CREDENTIAL_LINK_SECONDS * 1000) };
    },

    /** Whether the link can still be opened (without using it up): the page before the button. */
    async usable(token: string): Promise<{ bodyId: string } | undefined> {
      if (!ONE_TIME_TOKEN.test(token)) return undefined;
      const found = await store.peek(tokenId(token));
      return found && { bodyId: found.bodyId };
    },

    /** The credential, once: the record is read and deleted in one command, on whichever instance. */
    async open(token: string): Promise<{ bodyId: string; clientId: string; token: string } | undefined> {
      if (!ONE_TIME_TOKEN.test(token)) return undefined;
      const found = await store.take(tokenId(token));
      if (!found) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyOf(token), Buffer.from(found.iv, 'base64url'));
        decipher.setAAD(Buffer.from(`${found.bodyId}:${found.clientId}`));
        decipher.setAuthTag(Buffer.from(found.tag, 'base64url'));
        const plain = Buffer.concat([
          decipher.update(Buffer.from(found.data, 'base64url')),
          decipher.final(),
        ]);
        return { bodyId: found.bodyId, clientId: found.clientId, token: plain.toString('utf8') };
      } catch {
        return undefined;
      }
    },
  };
}

export type CredentialLinks = ReturnType<typeof createCredentialLinks>;
