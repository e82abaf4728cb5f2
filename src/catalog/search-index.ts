import MiniSearch from 'minisearch';
import type { CatalogRepository } from './catalog.repository.ts';
import {
  levelNumber,
  type Body,
  type LifeEvent,
  type RequiredLevel,
  type Service,
  type Topic,
} from './model.ts';
import { fuzziness, processTerm, tokenize } from './search-text.ts';

/** Words a code is known by, in every language (from the locales), so "salute" finds topic "health". */
export interface VocabularyLabels {
  topic(code: Topic): string[];
  lifeEvent(code: LifeEvent): string[];
}

export interface SearchQuery {
  q?: string;
  body?: string;
  topic?: Topic;
  event?: LifeEvent;
  /** Services a citizen at this level can use: their required level is this one or lower. */
  level?: RequiredLevel;
  offset?: number;
  limit?: number;
}

export interface SearchHit {
  service: Service;
  score: number;
}

interface IndexedDocument {
  id: string;
  title: string;
  tags: string;
  description: string;
  body: string;
}

/**
 * Field boosts: a word in the title counts most, then topics, life events and keywords, then the body's
 * name, then the description.
 */
const BOOST = { title: 6, tags: 2.5, body: 1.5, description: 1 };
const MAX_QUERY_TERMS = 12;

function document(service: Service, bodyName: string, labels: VocabularyLabels): IndexedDocument {
  return {
    id: service.id,
    title: `${service.title.it} ${service.title.en}`,
    tags: [
      ...service.topics.flatMap((t) => labels.topic(t)),
      ...service.lifeEvents.flatMap((e) => labels.lifeEvent(e)),
      ...service.keywords,
    ].join(' '),
    description: `${service.description.it} ${service.description.en}`,
    body: bodyName,
  };
}

/**
 * The in-process search index of published services. It is rebuilt from Redis and kept in step with
 * every other instance by the catalog version: before each search one GET of the version counter;
 * when it moved, the index applies the change log since its own version (or rebuilds when it fell too
 * far behind). A change acknowledged to any writer is therefore visible to the next search on every
 * instance, with no subscriber connection to keep alive and no message that can be lost while one is
 * down (Redis pub/sub is fire-and-forget).
 */
export function createSearchIndex(repository: CatalogRepository, labels: VocabularyLabels) {
  /** Every term ever indexed since the last rebuild: a query term found here is not a typo. */
  let vocabulary = new Set<string>();
  let mini = newMini();
  /** Every service known (any status), and the visible ones (published, by an approved body). */
  const all = new Map<string, Service>();
  const services = new Map<string, Service>();
  const bodies = new Map<string, Body>();
  let version = -1;
  /** Derived views, recomputed lazily after a change (the home page and filter-only searches use them). */
  let derived: { byTitle: Service[]; topics: Set<Topic>; lifeEvents: Set<LifeEvent> } | undefined;
  let refreshing: Promise<void> | undefined;

  /**
   * Typo tolerance only for query terms the index does not know (an edit-distance walk of a large
   * vocabulary is the expensive part of a search), and prefix matching for the word being typed (the
   * last) or an unknown one.
   */
  function newMini() {
    vocabulary = new Set<string>();
    return new MiniSearch<IndexedDocument>({
      fields: ['title', 'tags', 'description', 'body'],
      tokenize,
      processTerm: (term) => {
        const processed = processTerm(term);
        if (processed) vocabulary.add(processed);
        return processed;
      },
      searchOptions: {
        processTerm,
        boost: BOOST,
        prefix: (term, i, terms) => term.length >= 3 && (i === terms.length - 1 || !vocabulary.has(term)),
        fuzzy: (term) => (vocabulary.has(term) ? 0 : fuzziness(term)),
        weights: { fuzzy: 0.45, prefix: 0.6 },
      },
    });
  }

  const bodyName = (bodyId: string) => {
    const body = bodies.get(bodyId);
    return body ? `${body.name.it} ${body.name.en}` : '';
  };
  const visible = (service: Service) =>
    service.status === 'published' && bodies.get(service.bodyId)?.status === 'approved';

  function views() {
    if (!derived) {
      const byTitle = [...services.values()].sort(
        (a, b) => a.title.it.localeCompare(b.title.it, 'it') || a.id.localeCompare(b.id),
      );
      derived = {
        byTitle,
        topics: new Set(byTitle.flatMap((s) => s.topics)),
        lifeEvents: new Set(byTitle.flatMap((s) => s.lifeEvents)),
      };
    }
    return derived;
  }

  function put(service: Service) {
    derived = undefined;
    all.set(service.id, service);
    if (services.has(service.id)) {
      mini.discard(service.id);
      services.delete(service.id);
    }
    if (!visible(service)) return;
    services.set(service.id, service);
    mini.add(document(service, bodyName(service.bodyId), labels));
  }

  async function rebuild() {
    const at = await repository.version();
    const [allBodies, allServices] = await Promise.all([repository.listBodies(), repository.listServices()]);
    derived = undefined;
    bodies.clear();
    for (const body of allBodies) bodies.set(body.ipaCode, body);
    services.clear();
    all.clear();
    for (const service of allServices) all.set(service.id, service);
    mini = newMini();
    const published = allServices.filter(visible);
    for (const service of published) services.set(service.id, service);
    mini.addAll(published.map((s) => document(s, bodyName(s.bodyId), labels)));
    version = at;
  }

  async function applyChanges(current: number) {
    const changes = await repository.changesSince(version);
    if (changes.length === 0 || changes[0]?.version !== version + 1) return rebuild();
    for (const change of changes) {
      if (change.kind === 'body') {
        // A body's status or name touches all its services: re-index them.
        const body = await repository.getBody(change.id);
        if (body) bodies.set(body.ipaCode, body);
        for (const service of [...all.values()]) if (service.bodyId === change.id) put(service);
      } else if (change.kind === 'service') {
        const service = await repository.getService(change.id);
        if (service) put(service);
      }
      version = change.version;
    }
    if (version < current) await rebuild();
  }

  /** Brings the index up to the catalog's current version (one GET when nothing changed). */
  async function refresh(): Promise<void> {
    const current = await repository.version();
    if (current === version) return;
    refreshing ??= (version < 0 ? rebuild() : applyChanges(current)).finally(() => {
      refreshing = undefined;
    });
    await refreshing;
  }

  function matchesFilters(service: Service, query: SearchQuery): boolean {
    if (query.body && service.bodyId !== query.body) return false;
    if (query.topic && !service.topics.includes(query.topic)) return false;
    if (query.event && !service.lifeEvents.includes(query.event)) return false;
    if (query.level && levelNumber(service.requiredLevel) > levelNumber(query.level)) return false;
    return true;
  }

  /** Query text limited to a bounded number of words, so a hostile query cannot make a search slow. */
  const boundedQuery = (q: string) => tokenize(q).slice(0, MAX_QUERY_TERMS).join(' ');

  return {
    refresh,
    rebuild,
    get version() {
      return version;
    },
    get size() {
      return services.size;
    },

    /** Relevance order for a text query; title order (Italian) for filters alone. */
    async search(query: SearchQuery): Promise<{ total: number; hits: SearchHit[] }> {
      await refresh();
      const offset = query.offset ?? 0;
      const limit = query.limit ?? 20;
      const text = query.q ? boundedQuery(query.q) : '';
      let hits: SearchHit[];
      if (text) {
        hits = mini
          .search(text, { filter: (r) => matchesFilters(services.get(r.id as string) as Service, query) })
          .map((r) => ({ service: services.get(r.id as string) as Service, score: r.score }));
      } else {
        hits = views()
          .byTitle.filter((s) => matchesFilters(s, query))
          .map((service) => ({ service, score: 0 }));
      }
      return { total: hits.length, hits: hits.slice(offset, offset + limit) };
    },

    /** A published service of an approved body, from the index (undefined otherwise). */
    async published(id: string): Promise<Service | undefined> {
      await refresh();
      return services.get(id);
    },

    async body(ipaCode: string): Promise<Body | undefined> {
      await refresh();
      return bodies.get(ipaCode);
    },

    async approvedBodies(): Promise<Body[]> {
      await refresh();
      return [...bodies.values()].filter((b) => b.status === 'approved');
    },

    /** Topics and life events that have at least one published service. */
    async facets(): Promise<{ topics: Set<Topic>; lifeEvents: Set<LifeEvent> }> {
      await refresh();
      const { topics, lifeEvents } = views();
      return { topics, lifeEvents };
    },

    async allPublished(): Promise<Service[]> {
      await refresh();
      return [...services.values()].sort((a, b) => a.id.localeCompare(b.id));
    },
  };
}

export type SearchIndex = ReturnType<typeof createSearchIndex>;
