import type { Router } from 'express';
import { buildCatalog, catalogPages } from './catalog/catalog.module.ts';
import { buildCitizen } from './citizen/citizen.module.ts';
import type { Config } from './config/schema.ts';
import type { Demo } from './demo/demo.module.ts';
import { createIdentityController, type LogoutHandler } from './identity/identity.controller.ts';
import { identityRoutes } from './identity/identity.routes.ts';
import type { LoginLimits } from './identity/login-limits.ts';
import { createLoginSessions } from './identity/login-session.ts';
import { requireNetworkAdmin } from './identity/network-admins.ts';
import { buildOidc } from './identity/oidc/oidc.module.ts';
import { buildMail } from './mail/mail.module.ts';
import { buildParticipation, participationWeb } from './participation/participation.module.ts';
import { buildSpid } from './identity/spid/spid.module.ts';
import { createCsrf } from './platform/csrf.ts';
import type { ReadinessCheck } from './platform/health.ts';
import { createI18n, readTranslations } from './platform/i18n.ts';
import { kitStylesheet } from './platform/kit-stylesheet.ts';
import type { Logger } from './platform/logger.ts';
import { createOutboundHttp, loopbackAllowed, type OutboundHttpOptions } from './platform/outbound-http.ts';
import { createRateLimit } from './platform/rate-limit.ts';
import type { RedisConnection } from './platform/redis.ts';
import { createSessionStore, sessionMiddleware } from './platform/sessions.ts';
import { ASSETS, type PageAssets } from './platform/views.ts';
import { bullConnection } from './procedures/delivery-queue.ts';
import { buildProcedures, proceduresWeb } from './procedures/procedures.module.ts';
import { buildRegistry } from './registry/registry.module.ts';
import { providerRateLimits } from './sso/provider-limits.ts';
import { editableBody } from './registry/editor/editor-access.ts';
import { buildStats, statsWeb } from './stats/stats.module.ts';
import { buildSso } from './sso/sso.module.ts';

/**
 * The one composition root: builds every module from the configuration and the Redis connection and
 * wires what each contributes (routers, login options, logout handlers, readiness checks, sections of
 * the personal area and of the home page, what to close) into the others, explicitly, in build order.
 * Nothing is created at import time, so tests build their own gateway.
 */
export async function buildGateway(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  options: { outbound?: Partial<OutboundHttpOptions> } = {},
) {
  const secureCookie = config.http.publicUrl.startsWith('https://');
  // Requests to the addresses bodies register: loopback only in demo mode (the demo body systems).
  const outbound = createOutboundHttp({ allowLoopback: loopbackAllowed(config), ...options.outbound });
  const i18n = await createI18n(readTranslations());
  const stylesheet = await kitStylesheet({
    kitDir: ASSETS.bootstrapItaliaDir,
    contentDirs: ['views', 'public/js'],
    cacheDir: 'var/assets',
  });
  const rateLimits = {
    login: {
      start: createRateLimit(redis, 'login', config.rateLimit.login),
      providerReturn: createRateLimit(redis, 'login-return', config.rateLimit.loginReturn),
    } satisfies LoginLimits,
    api: createRateLimit(redis, 'api', config.rateLimit.api),
    forms: createRateLimit(redis, 'forms', config.rateLimit.forms),
    newSessions: createRateLimit(redis, 'sessions', config.rateLimit.newSessions),
  };
  const formsAndApi = { forms: rateLimits.forms, api: rateLimits.api };
  const session = sessionMiddleware(
    createSessionStore(redis, config.session.idleTimeoutSeconds),
    { ...config.session, secureCookie },
    rateLimits.newSessions,
  );

  // Demo mode is loaded from one place, and only when on (the configuration refuses it in production).
  const demo: Demo | undefined =
    config.demo && config.env !== 'production'
      ? await (await import('./demo/demo.module.ts')).startDemo(config, logger, redis)
      : undefined;

  // First: every other module is given its listeners.
  const stats = buildStats(config, logger, redis, {
    // Asked at each scrape, once the procedures are built.
    deliveries: () => procedures.queues.countsPerEndpoint(),
    mail: () => mail.queue.counts(),
  });
  const citizen = buildCitizen(config, redis);
  const catalog = buildCatalog(config, redis, i18n, citizen.keys);
  await demo?.seedCatalog(catalog.writer);
  await catalog.startSweep(logger);
  const mail = buildMail(config, logger, redis, {
    i18n,
    cipher: citizen.cipher,
    emails: citizen.emails,
    // BullMQ's own connection, built as the deliveries' is (a single server, Sentinel or Cluster).
    queueConnection: () => bullConnection(config.redis),
    bodyName: async (ipaCode, lang) => (await catalog.repository.getBody(ipaCode))?.name[lang],
    formLimit: rateLimits.forms,
    ...(demo ? { sent: demo.sentMail } : {}),
  });
  const participation = buildParticipation(config, redis, {
    citizen,
    bodyExists: async (ipa) => (await catalog.repository.getBody(ipa))?.status === 'approved',
    bodies: async () => (await catalog.index.approvedBodies()).map((b) => b.ipaCode),
    urpNotices: mail.urpNotices,
    urpMoved: stats.listeners.urpMoved,
  });
  await demo?.seedRatings(participation.ratings, catalog.index);
  await demo?.seedUrp(participation.urp);
  await demo?.seedStatistics();
  participation.urpReminders.start(logger.child({ module: 'participation' }));
  const requireAdmin = requireNetworkAdmin(config.registry.admins);
  const registry = buildRegistry(config, redis, {
    catalog,
    requireAdmin,
    limits: formsAndApi,
    notices: mail.registryNotices,
  });

  const loginSessions = createLoginSessions(citizen.sessions, {
    touchIntervalMs: 60_000,
    citizens: citizen.records,
    // A failed answer names its provider from the URL: only configured providers are counted by name.
    loginOutcome: [
      (outcome) =>
        stats.listeners.login({
          ...outcome,
          provider:
            outcome.provider === 'spid' || oidc.providerName(outcome.provider, 'it')
              ? outcome.provider
              : 'other',
        }),
    ],
  });
  const identityInputs = { loginSessions, loginLimits: rateLimits.login };
  const spid = await buildSpid(config, logger, redis, { sessionIndex: citizen.sessions, ...identityInputs });
  const oidc = await buildOidc(config, logger, redis, { ...identityInputs, builtIn: demo?.oidcProviders });

  const sso = buildSso(config, logger, redis, {
    catalog,
    citizen,
    outbound,
    session,
    limits: { provider: providerRateLimits(redis, config.rateLimit), ...formsAndApi },
    authenticateBody: registry.authenticateBody,
    serviceEntered: [participation.serviceEntered, stats.listeners.serviceEntered],
    consentChanged: stats.listeners.consentChanged,
  });
  const procedures = await buildProcedures(config, logger, redis, catalog, citizen, outbound, {
    caseMoved: [mail.caseMoved, participation.caseMoved, stats.listeners.caseMoved],
    deadLettered: [mail.deadLettered, stats.listeners.deadLettered],
  });
  const participationPages = participationWeb(participation, {
    config,
    redis,
    catalog,
    procedures: {
      title: (id, lang) => procedures.procedures.get(id)?.definition.title[lang],
      ids: () => procedures.procedures.list().map((p) => p.definition.id),
    },
    requireAdmin,
    formLimit: rateLimits.forms,
  });
  const proceduresPages = proceduresWeb(procedures, {
    config,
    catalog,
    authenticateBody: registry.authenticateBody,
    requireAdmin,
    limits: formsAndApi,
    ratingPrompt: participationPages.ratingPrompt,
    journeyMoved: stats.listeners.journeyMoved,
  });
  const statsPages = statsWeb(stats, {
    config,
    names: {
      bodies: async (lang) =>
        new Map((await catalog.index.approvedBodies()).map((b) => [b.ipaCode, b.name[lang]])),
      services: async (lang) =>
        new Map((await catalog.index.allPublished()).map((s) => [s.id, s.title[lang]])),
      procedure: (id, lang) => procedures.procedures.get(id)?.definition.title[lang],
    },
    // The same aggregates the ratings' open data publishes (src/participation/ratings/open-data.ts).
    satisfaction: (ipaCode) => participation.ratings.store.total(ipaCode, 'service'),
    deliveries: () => procedures.queues.countsPerEndpoint(),
    editableBody: (req, ipaCode) => editableBody(catalog.repository, req, ipaCode),
    requireAdmin,
  });
  const installedDemo = await demo?.install({ spid, sso, procedures, credentials: registry.credentials });

  const identityPages = identityRoutes(
    createIdentityController({
      loginSessions,
      sessionIndex: citizen.sessions,
      citizens: citizen.records,
      // The SPID button is drawn by the page itself; then CIE and the other OpenID Connect providers.
      loginOptions: () => oidc.loginOptions,
      logoutHandlers: { spid: spid.logoutHandler, ...oidc.logoutHandlers } satisfies Record<
        string,
        LogoutHandler
      >,
      sessionEndListeners: [sso.sessionsEnded],
      providerName: oidc.providerName,
      issuerName: (provider, issuer) => (provider === 'spid' ? spid.idps.get(issuer)?.name : undefined),
      personalAreaSections: [
        sso.personalAreaSection,
        proceduresPages.personalAreaSection,
        mail.personalAreaSection,
        participationPages.personalAreaSection,
      ],
    }),
    rateLimits.forms,
  );

  const readiness: ReadinessCheck[] = [
    { name: 'redis', check: () => redis.ping() },
    spid.readiness,
    ...oidc.readiness,
    { name: 'delivery-workers', check: async () => procedures.queues.workersRunning() },
  ];
  /** Mounted before the body parsers and CSRF: they parse and protect their own requests. */
  const ownBodies: Router[] = [...sso.routers.ownBodies, ...(installedDemo?.routers.ownBodies ?? [])];
  /**
   * Mounted after the sessions and CSRF protection. A request walks these routers in order until one
   * answers, so the pages asked for most come first: the catalog's (home, search, information sheets),
   * then logging in and the personal area (SPID's router adds the SPID button to the login page before
   * the identity router renders it). No two routers answer the same path otherwise.
   */
  const pages: Router[] = [
    catalogPages(catalog, {
      config,
      formLimit: rateLimits.forms,
      homeLocals: [proceduresPages.homeLocals],
      sheetLocals: participationPages.sheetLocals,
      deepLinkFollowed: [participation.deepLinkFollowed],
      record: stats.record,
    }),
    ...spid.routers,
    identityPages,
    ...sso.routers.pages,
    ...proceduresPages.routers,
    ...registry.routers,
    ...participationPages.routers,
    ...statsPages.routers,
    ...mail.routers,
    ...oidc.routers,
    ...(installedDemo?.routers.pages ?? []),
  ];

  return {
    config,
    logger,
    redis,
    i18n,
    outbound,
    citizen,
    catalog,
    registry,
    loginSessions,
    spid,
    oidc,
    sso,
    procedures,
    mail,
    participation,
    stats,
    /** Demo mode's systems, when on. */
    demo: installedDemo,
    web: {
      /** The UI kit's stylesheet cut to what the pages use, and where it is served from. */
      assets: {
        pageAssets: {
          bootstrapItalia: ASSETS.bootstrapItalia,
          kitStylesheet: `${ASSETS.bootstrapItalia}/css/${stylesheet.file}`,
        } satisfies PageAssets,
        stylesheetDir: stylesheet.dir,
      },
      readiness,
      metrics: { observe: stats.metrics.observe, routes: stats.metricsRouter },
      session,
      csrf: createCsrf({ secrets: config.session.secrets, secureCookie }),
      secureCookie,
      ownBodies,
      pages,
    },
    /** Stops the workers and the demo systems (in-flight work finishes), then outbound connections. */
    async close() {
      catalog.close();
      participation.urpReminders.stop();
      await procedures.close();
      await mail.close();
      await installedDemo?.close();
      await outbound.close();
      await stats.close();
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof buildGateway>>;
