import type { Router } from 'express';
import type { Config } from '../../config/schema.ts';
import { createDemoIdpController } from '../../demo/spid-idp/demo-idp.controller.ts';
import { demoIdpRoutes } from '../../demo/spid-idp/demo-idp.routes.ts';
import { createDemoIdp } from '../../demo/spid-idp/demo-idp.service.ts';
import type { ReadinessCheck } from '../../platform/health.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import type { LoginOption, LogoutHandler } from '../identity.controller.ts';
import type { LoginLimits } from '../login-limits.ts';
import type { LoginSessions } from '../login-session.ts';
import type { SessionIndex } from '../session-index.ts';
import { createSpidController } from './spid.controller.ts';
import { spidRoutes } from './spid.routes.ts';
import { createSpid, type Spid } from './spid.service.ts';

/**
 * Builds the SPID service provider and registers it where identity providers plug in: the readiness
 * check "spid-idps" (fails while no IdP is trusted) and, in demo mode only, the demo SPID IdP.
 */
export async function buildSpid(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  plug: {
    sessionIndex: SessionIndex;
    readiness: ReadinessCheck[];
    loginOptions: LoginOption[];
    logoutHandlers: Record<string, LogoutHandler>;
  },
) {
  const spid = await createSpid(config, logger, redis, plug.sessionIndex);
  plug.logoutHandlers.spid = spid.singleLogout.startLogout;
  const demoIdp =
    config.demo && config.env !== 'production' ? createDemoIdp(config, redis, spid.sp) : undefined;
  // The demo IdP is one of the SPID button's IdPs: no login option of its own.
  if (demoIdp) spid.idps.add(demoIdp.descriptor);
  plug.readiness.push({ name: 'spid-idps', check: async () => spid.idps.list().length > 0 });
  return { ...spid, demoIdp };
}

export type SpidModule = Spid & { demoIdp: ReturnType<typeof createDemoIdp> | undefined };

/** The SPID routes, and the demo IdP's when demo mode built one. */
export function spidRouters(
  spid: SpidModule,
  deps: { loginSessions: LoginSessions; loginLimits: LoginLimits },
): Router[] {
  const routers = [
    spidRoutes(createSpidController({ spid, loginSessions: deps.loginSessions }), deps.loginLimits),
  ];
  if (spid.demoIdp) routers.push(demoIdpRoutes(createDemoIdpController(spid.demoIdp)));
  return routers;
}
