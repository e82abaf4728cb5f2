import type { Config } from '../../config/schema.ts';
import type { ReadinessCheck } from '../../platform/health.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import type { SessionIndex } from '../../citizen/session-index.ts';
import type { LogoutHandler } from '../identity.controller.ts';
import type { LoginLimits } from '../login-limits.ts';
import type { LoginSessions } from '../login-session.ts';
import { createSpidController } from './spid.controller.ts';
import { spidRoutes } from './spid.routes.ts';
import { createSpid } from './spid.service.ts';

/**
 * Builds the SPID service provider and returns what it contributes: its routes, its logout handler
 * (single logout) and the readiness check "spid-idps" (failing while no IdP is trusted). The SPID button
 * is drawn by the login page itself, so SPID has no login option of its own.
 */
export async function buildSpid(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  inputs: { sessionIndex: SessionIndex; loginSessions: LoginSessions; loginLimits: LoginLimits },
) {
  const spid = await createSpid(config, logger, redis, inputs.sessionIndex);
  return {
    ...spid,
    logoutHandler: spid.singleLogout.startLogout satisfies LogoutHandler,
    readiness: { name: 'spid-idps', check: async () => spid.idps.list().length > 0 } satisfies ReadinessCheck,
    routers: [
      spidRoutes(createSpidController({ spid, loginSessions: inputs.loginSessions }), inputs.loginLimits),
    ],
  };
}

export type SpidModule = Awaited<ReturnType<typeof buildSpid>>;
