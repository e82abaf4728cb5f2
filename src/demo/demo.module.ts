import type { Router } from 'express';
import type { CatalogWriter } from '../catalog/catalog.writer.ts';
import type { Config } from '../config/schema.ts';
import type { BuiltInProvider } from '../identity/oidc/oidc.module.ts';
import { loadDescriptors } from '../identity/oidc/provider-descriptor.ts';
import type { SpidModule } from '../identity/spid/spid.module.ts';
import type { Ratings } from '../participation/ratings/ratings.service.ts';
import type { UrpDesk } from '../participation/urp/urp.service.ts';
import type { Logger } from '../platform/logger.ts';
import type { RedisConnection } from '../platform/redis.ts';
import type { Procedures } from '../procedures/procedures.module.ts';
import type { Credentials } from '../registry/credentials.repository.ts';
import type { Sso } from '../sso/sso.module.ts';
import { demoBodySystemsRoutes } from './body-systems/body-systems.routes.ts';
import { createDemoReporter } from './body-systems/demo-reporter.ts';
import { readSeedCatalog, seedCatalog } from './catalog-seed.ts';
import { seedDemoRatings } from './ratings-seed.ts';
import { seedDemoUrp } from './urp-seed.ts';
import { createDemoMailbox } from './mailbox/mailbox.ts';
import { demoCie } from './oidc-op/demo-cie.ts';
import { createDemoOpController } from './oidc-op/demo-op.controller.ts';
import { demoOpRoutes } from './oidc-op/demo-op.routes.ts';
import { createDemoIdpController } from './spid-idp/demo-idp.controller.ts';
import { demoIdpRoutes } from './spid-idp/demo-idp.routes.ts';
import { createDemoIdp } from './spid-idp/demo-idp.service.ts';
import { demoRelyingPartyRouters } from './sso-rp/demo-rp.routes.ts';
import { seedDemoStatistics } from './stats-seed.ts';

/**
 * Demo mode, from this one place: the composition root (src/gateway.ts) loads this file only when demo
 * mode is on, which the configuration refuses in production. It starts with what the identity modules
 * need to be built (the demo OpenID Provider standing in for CIE, unless CIE is configured), seeds the
 * demo catalog once the catalog exists, and is installed last: the demo SPID IdP among the SPID button's
 * IdPs, the demo body systems (single sign-on relying parties, procedure endpoints reporting later), the
 * mailbox that keeps a copy of the mail the gateway sent.
 */
export async function startDemo(config: Readonly<Config>, logger: Logger, redis: RedisConnection) {
  const descriptors = loadDescriptors(config.oidc.providersDir, config.oidc.environment);
  const cieConfigured = descriptors.some((d) => d.id === 'cie' && d.enabled);
  const cie = cieConfigured ? undefined : await demoCie(config, descriptors);
  const log = logger.child({ module: 'demo' });
  const mailbox = createDemoMailbox(redis);
  // The catalog and the statistics are seeded from the same files: read once.
  const seeds = new Map<string, ReturnType<typeof readSeedCatalog>>();
  const seedOf = (dir: string) => {
    let seed = seeds.get(dir);
    if (!seed) seeds.set(dir, (seed = readSeedCatalog(dir)));
    return seed;
  };

  return {
    /** Keeps a copy of every message sent, for the mailbox page (the mail module is told to call it). */
    sentMail: (mail: Parameters<typeof mailbox.record>[0]) => mailbox.record(mail),

    /** The demo OpenID Provider, when it stands in for CIE. */
    op: cie?.op,
    /** What the OpenID Connect module builds in besides its descriptors. */
    oidcProviders: cie ? [{ descriptor: cie.descriptor, known: cie.known } satisfies BuiltInProvider] : [],

    /** The Prato network's catalog (config/catalog), written through the catalog's writer. */
    async seedCatalog(writer: CatalogWriter, seedDir = 'config/catalog') {
      const seeded = await seedCatalog(writer, seedOf(seedDir), {
        publicUrl: config.http.publicUrl,
      });
      log.info(seeded, 'demo catalog seeded');
    },

    /** A few ratings of one demo service and its sheet, so its sheet shows an average (once). */
    async seedRatings(
      ratings: Ratings,
      index: { published: (id: string) => Promise<{ id: string; bodyId: string } | undefined> },
    ) {
      const seeded = await seedDemoRatings(ratings, (id) => index.published(id));
      if (seeded > 0) log.info({ seeded }, 'demo ratings seeded');
    },

    /** A year of the demo network's use for the statistics pages (once; `stats.demoHistory`). */
    async seedStatistics(seedDir = 'config/catalog') {
      if (!config.stats.demoHistory) return;
      const { services } = seedOf(seedDir);
      const seeded = await seedDemoStatistics(redis, config.stats, services);
      if (seeded > 0) log.info({ days: seeded }, 'demo statistics seeded');
    },

    /** A demo URP operator, a demo answerer of the Comune di Prato and a few requests (once). */
    async seedUrp(desk: UrpDesk) {
      const seeded = await seedDemoUrp(desk);
      if (seeded > 0) log.info({ seeded }, 'demo URP requests seeded');
    },

    /** Installs the demo systems on the built modules; returns their routers and how to stop them. */
    async install(modules: {
      spid: SpidModule;
      sso: Pick<Sso, 'secrets'>;
      procedures: Pick<Procedures, 'procedures'>;
      credentials: Credentials;
    }) {
      const spidIdp = createDemoIdp(config, redis, modules.spid.sp);
      modules.spid.idps.add(spidIdp.descriptor);
      const reporter = createDemoReporter({
        redis,
        credentials: modules.credentials,
        publicUrl: config.http.publicUrl,
        logger: log,
      });
      await reporter.resume();
      const op = cie ? demoOpRoutes(cie.op, createDemoOpController(cie.op)) : undefined;
      /** Mounted before the body parsers and CSRF: they parse and protect their own requests. */
      const ownBodies: Router[] = [
        ...demoRelyingPartyRouters({ redis, publicUrl: config.http.publicUrl, secrets: modules.sso.secrets }),
        ...(op ? [op.provider] : []),
      ];
      const pages: Router[] = [
        demoIdpRoutes(createDemoIdpController(spidIdp)),
        ...(op ? [op.pages] : []),
        demoBodySystemsRoutes(
          modules.procedures.procedures,
          redis,
          { publicUrl: config.http.publicUrl, ...config.procedures.demoBodySystems },
          reporter,
          log,
        ),
        mailbox.routes(),
      ];
      return { spidIdp, op: cie?.op, reporter, routers: { ownBodies, pages }, close: () => reporter.close() };
    },
  };
}

export type Demo = Awaited<ReturnType<typeof startDemo>>;
export type InstalledDemo = Awaited<ReturnType<Demo['install']>>;
