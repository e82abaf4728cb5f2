import type { RequestHandler, Router } from 'express';
import { requireLevel } from '../identity/step-up.ts';
import {
  createCatalogController,
  type DeepLinkListener,
  type HomeLocals,
  type SheetLocals,
} from './catalog.controller.ts';
import { catalogRoutes } from './catalog.routes.ts';
import type { Config } from '../config/schema.ts';
import type { CitizenKeys } from '../citizen/redis-keys.ts';
import type { I18n } from '../platform/i18n.ts';
import type { Logger } from '../platform/logger.ts';
import type { RedisConnection } from '../platform/redis.ts';
import type { RecordEvent } from '../stats/events.ts';
import { createCatalogRepository } from './catalog.repository.ts';
import { createCatalogWriter } from './catalog.writer.ts';
import { createCitizenServices } from './citizen-services.repository.ts';
import { createEndpointDirectory } from './endpoint-directory.ts';
import type { LifeEvent, Topic } from './model.ts';
import { createSearchIndex, type VocabularyLabels } from './search-index.ts';

/** Topic and life-event names in both languages, from the locales (catalog.topics, catalog.lifeEvents). */
export function vocabularyLabels(i18n: I18n): VocabularyLabels {
  // Looked up once per code: the index asks for them for every service it adds.
  const cache = new Map<string, string[]>();
  const both = (key: string) => {
    let labels = cache.get(key);
    if (!labels) cache.set(key, (labels = [i18n.t('it')(key), i18n.t('en')(key)]));
    return labels;
  };
  return {
    topic: (code: Topic) => both(`catalog.topics.${code}`),
    lifeEvent: (code: LifeEvent) => both(`catalog.lifeEvents.${code}`),
  };
}

/** How often an instance publishes the catalog changes a stopped write left behind. */
const SWEEP_INTERVAL_MS = 60_000;

/** Builds the catalog: repository, the one writer, the search index, the citizens' favourites. */
export function buildCatalog(
  config: Readonly<Config>,
  redis: RedisConnection,
  i18n: I18n,
  citizenKeys: CitizenKeys,
) {
  const repository = createCatalogRepository(redis);
  const publicUrl = config.http.publicUrl;
  // Which hosts a body's links, single sign-on URIs and endpoints may use: checked when they are written
  // and again when they are used.
  const linkPolicy = { demo: config.demo, gatewayOrigin: new URL(publicUrl).origin };
  const writer = createCatalogWriter(repository, linkPolicy);
  const index = createSearchIndex(repository, vocabularyLabels(i18n));
  let sweep: NodeJS.Timeout | undefined;
  return {
    repository,
    /**
     * Publishes, now and every minute, catalog changes a write left unpublished when it stopped between
     * the body's slot and the network's (src/catalog/catalog.repository.ts), so every instance sees them.
     */
    async startSweep(logger: Logger) {
      const publishPending = async () => {
        const published = await repository.publishPending();
        if (published > 0) logger.info({ published }, 'catalog changes published by the sweep');
      };
      const failed = (error: unknown) => logger.warn({ err: error }, 'catalog sweep failed');
      await publishPending().catch(failed);
      sweep = setInterval(() => void publishPending().catch(failed), SWEEP_INTERVAL_MS);
      sweep.unref();
    },
    close() {
      clearInterval(sweep);
    },
    writer,
    index,
    linkPolicy,
    endpoints: createEndpointDirectory(repository, linkPolicy),
    citizenServices: createCitizenServices(redis, citizenKeys),
  };
}

export type Catalog = ReturnType<typeof buildCatalog>;

/**
 * The catalog's pages for citizens (home, search, information sheets, favourites, open data), with what
 * other modules add to the home page.
 */
export function catalogPages(
  catalog: Catalog,
  inputs: {
    config: Readonly<Config>;
    formLimit: RequestHandler;
    homeLocals?: readonly HomeLocals[];
    sheetLocals?: SheetLocals;
    deepLinkFollowed?: readonly DeepLinkListener[];
    /** Told of searches, sheet views and deep links, without who (the usage statistics). */
    record?: RecordEvent;
  },
): Router {
  const controller = createCatalogController({
    catalog,
    publicUrl: inputs.config.http.publicUrl,
    demo: inputs.config.demo,
    requireLevel,
    homeLocals: inputs.homeLocals ?? [],
    sheetLocals: inputs.sheetLocals,
    deepLinkFollowed: inputs.deepLinkFollowed ?? [],
    ...(inputs.record ? { record: inputs.record } : {}),
    territory: inputs.config.network.territory,
  });
  return catalogRoutes(controller, inputs.formLimit);
}
