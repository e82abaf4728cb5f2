import { createHash } from 'node:crypto';
import type { RedisConnection } from '../../platform/redis.ts';

/**
 * What Single Logout needs in Redis, so any instance handles it:
 *   saml:slo:<hash of IdP + NameID>   the gateway session and citizen a SPID login created
 *                                      (for an IdP-initiated LogoutRequest)
 *   saml:logout:<id>                  an outstanding SP-initiated LogoutRequest, single use
 */
export function createLogoutStore(
  redis: RedisConnection,
  options: { sessionTtlSeconds: number; requestTtlSeconds: number },
) {
  const loginKey = (idp: string, nameId: string) =>
    `${redis.prefix}saml:slo:${createHash('sha256').update(`${idp}\n${nameId}`).digest('base64url')}`;
  const requestKey = (id: string) => `${redis.prefix}saml:logout:${id}`;

  return {
    async rememberLogin(idp: string, nameId: string, session: { fiscalCode: string; sessionId: string }) {
      await redis.client.set(loginKey(idp, nameId), JSON.stringify(session), {
        expiration: { type: 'EX', value: options.sessionTtlSeconds },
      });
    },
    async takeLogin(
      idp: string,
      nameId: string,
    ): Promise<{ fiscalCode: string; sessionId: string } | undefined> {
      const stored = await redis.client.getDel(loginKey(idp, nameId));
      if (!stored) return undefined;
      const parsed = JSON.parse(stored) as { fiscalCode?: unknown; sessionId?: unknown };
      return typeof parsed.fiscalCode === 'string' && typeof parsed.sessionId === 'string'
        ? { fiscalCode: parsed.fiscalCode, sessionId: parsed.sessionId }
        : undefined;
    },
    async saveRequest(id: string, idp: string) {
      await redis.client.set(requestKey(id), idp, {
        expiration: { type: 'EX', value: options.requestTtlSeconds },
      });
    },
    async takeRequest(id: string): Promise<string | undefined> {
      return (await redis.client.getDel(requestKey(id))) ?? undefined;
    },
  };
}

export type LogoutStore = ReturnType<typeof createLogoutStore>;
