import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisConnection } from '../platform/redis.ts';

/** An API credential as shown once to the body: `<clientId>.<secret>`, used as a Bearer token. */
export interface IssuedCredential {
  clientId: string;
  secret: string;
  token: string;
}

export interface CredentialInfo {
  clientId: string;
  bodyId: string;
  createdAt: string;
  revokedAt?: string;
}

/**
 * SHA-256 of the secret. The secret is 32 random bytes (256 bits), so a fast hash is enough: there is
 * nothing to brute-force as with a password, and verification stays cheap on every API call.
 */
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();

/**
 * Bodies' API credentials; only hashes are stored. Keys:
 *   registry:client:<clientId>     hash: bodyId, secretHash (hex), createdAt, revokedAt
 *   registry:body-clients:<ipa>    set of the body's client ids
 */
export function createCredentials(redis: RedisConnection) {
  const { client } = redis;
  const clientKey = (id: string) => `${redis.prefix}registry:client:${id}`;
  const bodyKey = (ipa: string) => `${redis.prefix}registry:body-clients:${ipa}`;

  async function info(clientId: string): Promise<(CredentialInfo & { secretHash: string }) | undefined> {
    const stored = await client.hGetAll(clientKey(clientId));
    if (!stored.bodyId || !stored.secretHash || !stored.createdAt) return undefined;
    return {
      clientId,
      bodyId: stored.bodyId,
      secretHash: stored.secretHash,
      createdAt: stored.createdAt,
      ...(stored.revokedAt ? { revokedAt: stored.revokedAt } : {}),
    };
  }

  async function revoke(bodyId: string, clientId: string): Promise<boolean> {
    const found = await info(clientId);
    if (!found || found.bodyId !== bodyId || found.revokedAt) return false;
    await client.hSet(clientKey(clientId), 'revokedAt', new Date().toISOString());
    return true;
  }

  return {
    async issue(bodyId: string): Promise<IssuedCredential> {
      const clientId = `c_${randomBytes(9).toString('base64url')}`;
      const secret = randomBytes(32).toString('base64url');
      await client.hSet(clientKey(clientId), {
        bodyId,
        secretHash: hashSecret(secret).toString('hex'),
        createdAt: new Date().toISOString(),
      });
      await client.sAdd(bodyKey(bodyId), clientId);
      return { clientId, secret, token: `${clientId}.${secret}` };
    },

    /** The body a `<clientId>.<secret>` token belongs to; undefined when unknown, wrong or revoked. */
    async verify(token: string): Promise<string | undefined> {
      const match = /^(c_[A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (!match) return undefined;
      const [, clientId = '', secret = ''] = match;
      const found = await info(clientId);
      if (!found || found.revokedAt) return undefined;
      const expected = Buffer.from(found.secretHash, 'hex');
      const actual = hashSecret(secret);
      return expected.length === actual.length && timingSafeEqual(expected, actual)
        ? found.bodyId
        : undefined;
    },

    async list(bodyId: string): Promise<CredentialInfo[]> {
      const ids = (await client.sMembers(bodyKey(bodyId))).sort();
      const all = await Promise.all(ids.map((id) => info(id)));
      return all.flatMap((c) =>
        c
          ? [
              {
                clientId: c.clientId,
                bodyId: c.bodyId,
                createdAt: c.createdAt,
                ...(c.revokedAt ? { revokedAt: c.revokedAt } : {}),
              },
            ]
          : [],
      );
    },

    revoke,

    /** A new credential, then the old ones revoked: the body switches when it has stored the new one. */
    async rotate(bodyId: string): Promise<IssuedCredential> {
      const old = await client.sMembers(bodyKey(bodyId));
      const fresh = await this.issue(bodyId);
      for (const id of old) await revoke(bodyId, id);
      return fresh;
    },
  };
}

export type Credentials = ReturnType<typeof createCredentials>;
