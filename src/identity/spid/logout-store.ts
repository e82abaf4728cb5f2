import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../../platform/redis.ts';
import { createSingleUseStore } from '../../platform/single-use-store.ts';

/**
 * What Single Logout needs in Redis, so any instance handles it:
 *   saml:slo:<hash of IdP + NameID>   the gateway session and citizen a SPID login created
 *                                      (for an IdP-initiated LogoutRequest)
 *   saml:logout:<id>                  an outstanding SP-initiated LogoutRequest, single use
 */
const loginSchema = z.object({ fiscalCode: z.string(), sessionId: z.string() });
const requestSchema = z.object({ idp: z.string() });

export function createLogoutStore(
  redis: RedisConnection,
  options: { sessionTtlSeconds: number; requestTtlSeconds: number },
) {
  const logins = createSingleUseStore(redis, 'saml:slo:', loginSchema, options.sessionTtlSeconds);
  const requests = createSingleUseStore(redis, 'saml:logout:', requestSchema, options.requestTtlSeconds);
  const loginId = (idp: string, nameId: string) =>
    createHash('sha256').update(`${idp}\n${nameId}`).digest('base64url');

  return {
    async rememberLogin(idp: string, nameId: string, session: { fiscalCode: string; sessionId: string }) {
      await logins.save(loginId(idp, nameId), session);
    },
    takeLogin: (idp: string, nameId: string) => logins.take(loginId(idp, nameId)),
    async saveRequest(id: string, idp: string) {
      await requests.save(id, { idp });
    },
    async takeRequest(id: string): Promise<string | undefined> {
      return (await requests.take(id))?.idp;
    },
  };
}

export type LogoutStore = ReturnType<typeof createLogoutStore>;
