import type { CatalogRepository } from './catalog.repository.ts';
import {
  LIFE_EVENTS,
  TOPICS,
  levelNumber,
  type Body,
  type LifeEvent,
  type RequiredLevel,
  type Service,
  type Topic,
} from './model.ts';
import { createTextIndex } from './text-index.ts';

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
  /** Any other test a service must pass (when it is open, say), asked only of the services that match. */
  accept?: (service: Service) => boolean;
  /**
   * Bodies to list first among services of the same title (the citizen's own municipality, else the
   * body at the network's centre), most wanted first.
   */
  preferBodies?: readonly string[];
  offset?: number;
  limit?: number;
}

export interface SearchHit {
  service: Service;
  score: number;
}

/**
 * Field boosts: a word in the title counts most, then topics, life events and keywords, then the body's
 * name, then the description.
 */
const BOOST = { title: 6, tags: 2.5, body: 1.5, description: 1 };
const MAX_QUERY_TERMS = 12;

/** What the filters look at, one fixed shape per service (filtering 10,000 matches stays cheap). */
interface FilterKey {
  id: string;
  body: string;
  topics: number;
  events: number;
  level: number;
}
const bits = <T extends string>(all: readonly T[], some: readonly T[]) =>
  some.reduce((mask, value) => mask | (1 << all.indexOf(value)), 0);
const filterKey = (service: Service): FilterKey => ({
  id: service.id,
  body: service.bodyId,
  topics: bits(TOPICS, service.topics),
  events: bits(LIFE_EVENTS, service.lifeEvents),
  level: levelNumber(service.requiredLevel),
});

/** The texts of a service, field by field, in both languages. */
function document(service: Service, bodyName: string, labels: VocabularyLabels): Record<string, string> {
  return {
    // Languages apart ("|"), so a title phrase is never made of the end of one and the start of the other.
    title: `${service.title.it} | ${service.title.en}`,
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
  /**
   * Full text with Italian folding and stemming, prefix matching for the word being typed (the last) or
   * an unknown one, and typo tolerance for unknown words (src/catalog/text-index.ts).
   */
  const text = createTextIndex<FilterKey>(BOOST, { phraseField: 'title' });
  /** Every service known (any status), and the visible ones (published, by an approved body). */
  const all = new Map<string, Service>();
  const services = new Map<string, Service>();
  const bodies = new Map<string, Body>();
  let version = -1;
  /** Derived views, recomputed lazily after a change (the home page and filter-only searches use them). */
  let derived: { byTitle: Service[]; topics: Set<Topic>; lifeEvents: Set<LifeEvent> } | undefined;
  let refreshing: Promise<void> | undefined;

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
      text.remove(service.id);
      services.delete(service.id);
    }
    if (!visible(service)) return;
    services.set(service.id, service);
    text.add(service.id, document(service, bodyName(service.bodyId), labels), filterKey(service));
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
    text.clear();
    const published = allServices.filter(visible);
    for (const service of published) services.set(service.id, service);
    text.addAll(
      published.map((s) => ({
        id: s.id,
        texts: document(s, bodyName(s.bodyId), labels),
        meta: filterKey(s),
      })),
    );
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
    // Many replaced documents leave many dead postings behind: start afresh.
    if (version < current || text.fragmented) await rebuild();
  }

  /**
   * Brings the index up to the catalog's current version: one GET of the version counter when nothing
   * changed, so every read sees every change acknowledged before it to any writer on any instance.
   */
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
    return !query.accept || query.accept(service);
  }

  /** The filters of a query as a test of a service's filter key. */
  function keyFilter(query: SearchQuery): (key: FilterKey) => boolean {
    const topic = query.topic ? 1 << TOPICS.indexOf(query.topic) : 0;
    const event = query.event ? 1 << LIFE_EVENTS.indexOf(query.event) : 0;
    const level = query.level ? levelNumber(query.level) : 3;
    const accept = query.accept;
    return (key) =>
      (!query.body || key.body === query.body) &&
      (key.topics & topic) === topic &&
      (key.events & event) === event &&
      key.level <= level &&
      (!accept || accept(services.get(key.id) as Service));
  }

  /** Relevance order for a text query; title order (Italian) for filters alone. */
  function search(query: SearchQuery): { total: number; hits: SearchHit[] } {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    if (query.q?.trim()) {
      const filtered = query.body || query.topic || query.event || query.level || query.accept;
      const found = text.search(query.q, {
        offset,
        limit,
        // A query is bounded to a few words, so a hostile one cannot make a search slow.
        maxTerms: MAX_QUERY_TERMS,
        ...(filtered && { accept: keyFilter(query) }),
      });
      const hits = found.hits.map((h) => ({ service: services.get(h.id) as Service, score: h.score }));
      return { total: found.total, hits: sameTitlesByPreference(hits, query.preferBodies ?? []) };
    }
    const hits = views()
      .byTitle.filter((s) => matchesFilters(s, query))
      .map((service) => ({ service, score: 0 }));
    return { total: hits.length, hits: hits.slice(offset, offset + limit) };
  }

  /** The published services among `ids`, in their order. */
  const publishedAmong = (ids: readonly string[]) =>
    ids.map((id) => services.get(id)).filter((s): s is Service => s !== undefined);
  const approvedBodies = () => [...bodies.values()].filter((b) => b.status === 'approved');
  /**
   * Topics and life events that have at least one published service, and the catalog version they
   * are of (taken together, so a page kept per version shows what that version holds).
   */
  const facets = () => {
    const { topics, lifeEvents } = views();
    return { topics, lifeEvents, version };
  };

  return {
    refresh,
    rebuild,
    get version() {
      return version;
    },
    get size() {
      return services.size;
    },

    /**
     * The index brought up to the catalog's current version once, for a page that reads it several
     * times (the home page: facets, a citizen's favourites and recent services, their bodies; the
     * search page: results, their bodies, the body filter): one GET of the version counter per request
     * instead of one per read. Its reads are synchronous: make them all right after awaiting this, as
     * a later refresh (another request's) moves the index on.
     */
    async current(): Promise<CatalogReads> {
      await refresh();
      return { version, search, publishedAmong, approvedBodies, facets };
    },

    async search(query: SearchQuery): Promise<{ total: number; hits: SearchHit[] }> {
      await refresh();
      return search(query);
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
      return approvedBodies();
    },

    /**
     * A published service of an approved body with its body, and the catalog version they are of, all
     * taken together (a change applied between a read and the version's would label old text new).
     */
    async publishedWithBody(
      id: string,
    ): Promise<{ service: Service; body: Body | undefined; version: number } | undefined> {
      await refresh();
      const service = services.get(id);
      return service && { service, body: bodies.get(service.bodyId), version };
    },

    async allPublished(): Promise<Service[]> {
      await refresh();
      return [...services.values()].sort((a, b) => a.id.localeCompare(b.id));
    },
  };
}

/**
 * Services of one title (the same service offered by several municipalities) stay where the best of
 * them ranked, the preferred bodies' first, then in relevance order.
 */
export function sameTitlesByPreference(hits: SearchHit[], prefer: readonly string[]): SearchHit[] {
  if (prefer.length === 0) return hits;
  const rank = (hit: SearchHit) => {
    const at = prefer.indexOf(hit.service.bodyId);
    return at < 0 ? prefer.length : at;
  };
  const groups = new Map<string, SearchHit[]>();
  for (const hit of hits) {
    const key = hit.service.title.it.toLocaleLowerCase('it');
    const group = groups.get(key);
    if (group) group.push(hit);
    else groups.set(key, [hit]);
  }
  // Array.prototype.sort is stable: within a group, equal ranks keep their relevance order.
  return [...groups.values()].flatMap((group) => group.sort((a, b) => rank(a) - rank(b)));
}

/** The index's reads at the version one refresh brought it to (SearchIndex.current). */
export interface CatalogReads {
  search(query: SearchQuery): { total: number; hits: SearchHit[] };
  publishedAmong(ids: readonly string[]): Service[];
  approvedBodies(): Body[];
  facets(): { topics: Set<Topic>; lifeEvents: Set<LifeEvent>; version: number };
  /** The catalog version these reads are of. */
  version: number;
}

export type SearchIndex = ReturnType<typeof createSearchIndex>;
