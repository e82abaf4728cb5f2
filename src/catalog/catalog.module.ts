import type { Config } from '../config/schema.ts';
import type { CitizenKeys } from '../platform/citizen-keys.ts';
import type { I18n } from '../platform/i18n.ts';
import type { Logger } from '../platform/logger.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { createUsageCounter } from '../stats/usage-counter.ts';
import { createCatalogRepository } from './catalog.repository.ts';
import { createCatalogWriter } from './catalog.writer.ts';
import { createCitizenServices } from './citizen-services.repository.ts';
import { createEndpointDirectory } from './endpoint-directory.ts';
import { readSeedCatalog, seedCatalog } from './demo-seed.ts';
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

/** Builds the catalog: repository, the one writer, the search index; seeds the demo catalog in demo mode. */
export async function buildCatalog(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  i18n: I18n,
  citizenKeys: CitizenKeys,
  options: { seedDir?: string } = {},
) {
  const repository = createCatalogRepository(redis);
  const publicUrl = config.http.publicUrl;
  // Which hosts a body's links, single sign-on URIs and endpoints may use: checked when they are written
  // and again when they are used.
  const linkPolicy = { demo: config.demo, gatewayOrigin: new URL(publicUrl).origin };
  const writer = createCatalogWriter(repository, linkPolicy);
  const index = createSearchIndex(repository, vocabularyLabels(i18n));
  if (config.demo) {
    const seed = readSeedCatalog(options.seedDir ?? 'config/catalog');
    const seeded = await seedCatalog(writer, seed, { publicUrl });
    logger.info(seeded, 'demo catalog seeded');
  }
  return {
    repository,
    writer,
    index,
    linkPolicy,
    endpoints: createEndpointDirectory(repository, linkPolicy),
    citizenServices: createCitizenServices(redis, citizenKeys),
    usage: createUsageCounter(redis),
  };
}

export type Catalog = Awaited<ReturnType<typeof buildCatalog>>;
