import { buildCatalog } from './catalog/catalog.module.ts';
import type { Config } from './config/schema.ts';
import type { LoginOption, LogoutHandler } from './identity/identity.controller.ts';
import { createCitizenRecords } from './identity/citizen-record.ts';
import type { LoginLimits } from './identity/login-limits.ts';
import { createLoginSessions } from './identity/login-session.ts';
import { buildOidc } from './identity/oidc/oidc.module.ts';
import { createSessionIndex } from './identity/session-index.ts';
import { buildSpid } from './identity/spid/spid.module.ts';
import { createCitizenKeys } from './platform/citizen-keys.ts';
import { createCitizenRef } from './platform/citizen-ref.ts';
import type { ReadinessCheck } from './platform/health.ts';
import { createI18n, readTranslations } from './platform/i18n.ts';
import type { Logger } from './platform/logger.ts';
import { createRateLimit } from './platform/rate-limit.ts';
import { createOutboundHttp, loopbackAllowed, type OutboundHttpOptions } from './platform/outbound-http.ts';
import type { RedisConnection } from './platform/redis.ts';
import { createDataCipher } from './procedures/data-cipher.ts';
import { loadDataKeys, loadIndexKey } from './procedures/keys.ts';
import { buildProcedures } from './procedures/procedures.module.ts';
import { createSessionStore } from './platform/sessions.ts';
import { providerRateLimits } from './sso/provider-limits.ts';
import { buildSso } from './sso/sso.module.ts';

/**
 * The one composition root: builds every service from the configuration and the Redis connection.
 * Modules export factories; nothing is created at import time, so tests build their own graph.
 */
export async function buildDependencies(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  options: { outbound?: Partial<OutboundHttpOptions> } = {},
) {
  // Requests to the addresses bodies register: loopback only in demo mode (the demo body systems).
  const outbound = createOutboundHttp({
    allowLoopback: loopbackAllowed(config),
    ...options.outbound,
  });
  // Every module files a citizen under the same keyed reference of their fiscal code, never the code.
  const citizenRef = createCitizenRef(loadIndexKey(config.procedures, config.env));
  const citizenKeys = createCitizenKeys(redis, citizenRef);
  const sessionIndex = createSessionIndex(redis, citizenKeys, {
    retentionSeconds: config.session.absoluteLifetimeSeconds,
  });
  // Identity providers add their entries here when they are built (SPID, CIE, other OIDC providers).
  const loginOptions: LoginOption[] = [];
  const logoutHandlers: Record<string, LogoutHandler> = {};
  const readiness: ReadinessCheck[] = [{ name: 'redis', check: () => redis.ping() }];
  const i18n = await createI18n(readTranslations());
  const catalog = await buildCatalog(config, logger, redis, i18n, citizenKeys);
  const spid = await buildSpid(config, logger, redis, {
    sessionIndex,
    readiness,
    loginOptions,
    logoutHandlers,
  });
  // The SSO account holds personal data: encrypted with the procedures' data keys.
  const sso = buildSso(
    config,
    logger,
    redis,
    catalog,
    {
      keys: citizenKeys,
      cipher: createDataCipher(loadDataKeys(config.procedures, config.env)),
    },
    outbound,
  );
  // SPID first, then CIE and the other OpenID Connect providers: the login page keeps this order.
  const oidc = await buildOidc(config, logger, redis, { readiness, loginOptions, logoutHandlers });
  const citizens = createCitizenRecords(redis, citizenKeys);
  const procedures = await buildProcedures(config, logger, redis, catalog, citizenRef, outbound);
  readiness.push({ name: 'delivery-workers', check: async () => procedures.queues.workersRunning() });
  return {
    config,
    logger,
    redis,
    citizenKeys,
    i18n,
    sessionStore: createSessionStore(redis, config.session.idleTimeoutSeconds),
    sessionIndex,
    loginSessions: createLoginSessions(sessionIndex, { touchIntervalMs: 60_000, citizens }),
    loginOptions,
    logoutHandlers,
    readiness,
    spid,
    oidc,
    citizens,
    providerName: oidc.providerName,
    issuerName: (provider: string, issuer: string) =>
      provider === 'spid' ? spid.idps.get(issuer)?.name : undefined,
    catalog,
    sso,
    procedures,
    outbound,
    sessionEndListeners: [sso.sessionsEnded],
    rateLimits: {
      login: {
        start: createRateLimit(redis, 'login', config.rateLimit.login),
        providerReturn: createRateLimit(redis, 'login-return', config.rateLimit.loginReturn),
      } satisfies LoginLimits,
      api: createRateLimit(redis, 'api', config.rateLimit.api),
      forms: createRateLimit(redis, 'forms', config.rateLimit.forms),
      newSessions: createRateLimit(redis, 'sessions', config.rateLimit.newSessions),
      sso: providerRateLimits(redis, config.rateLimit),
    },
  };
}

export type Dependencies = Awaited<ReturnType<typeof buildDependencies>>;
