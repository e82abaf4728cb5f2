import { randomBytes } from 'node:crypto';
import type { RedisConnection } from '../platform/redis.ts';

/**
 * Secrets of client_secret_basic clients. oidc-provider compares the secret the client sends with the
 * stored value, so the value itself is kept (not a hash): only here, `oidc:client-secret:<serviceId>`,
 * never in the catalog record, its audit trail or an API response other than the one that issues it.
 * Bodies should prefer private_key_jwt, which leaves no shared secret with the gateway.
 */
export function createClientSecrets(redis: RedisConnection) {
  const key = (serviceId: string) => `${redis.prefix}oidc:client-secret:${serviceId}`;
  return {
    async get(serviceId: string): Promise<string | undefined> {
      return (await redis.client.get(key(serviceId))) ?? undefined;
    },
    /** Issues a new secret (the old one stops working at once) and returns it, to be shown once. */
    async rotate(serviceId: string): Promise<string> {
      const secret = randomBytes(32).toString('base64url');
      await redis.client.set(key(serviceId), secret);
      return secret;
    },
  };
}

export type ClientSecrets = ReturnType<typeof createClientSecrets>;
