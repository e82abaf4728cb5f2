/**
 * Catalog search at scale: for 1,000, 10,000 and 100,000 generated services, the time to build the
 * in-process index from Redis, search latency p50/p99 (through the index's public search, version check
 * included), process memory, and the throughput of the search page as a ratio of the home page's in the
 * same run (both rendered by the real app over HTTP). Needs the test Redis (127.0.0.1:6379); writes
 * under its own key prefix and deletes it afterwards.
 * Run: npx tsx --expose-gc bench/catalog-search.ts [sizes, e.g. 1000,10000,100000] [seconds per page]
 * or import `runCatalogSearchBench` (bench/run.ts does).
 * Target: p99 search under 20 ms at 100,000 services.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createCatalogRepository } from '../src/catalog/catalog.repository.ts';
import type { Service } from '../src/catalog/model.ts';
import { readSeedCatalog } from '../src/demo/catalog-seed.ts';
import { createTestGateway, listen, type TestGateway } from '../test/helpers/gateway.ts';
import { autocannon, type LoadResult } from './autocannon.ts';

const DEFAULT_SIZES = [1000, 10_000, 100_000];
const DEFAULT_PAGE_SECONDS = 3;
const CONCURRENCY = 10;
/** Rounds of page throughput (home, then search page), each `pageSeconds` per page. */
const PAGE_ROUNDS = 3;

export interface CatalogSearchBenchOptions {
  /** Numbers of generated services, one measurement each (default 1,000, 10,000, 100,000). */
  sizes?: number[];
  /** Seconds each page's throughput is measured for, in each of 3 interleaved rounds (default 3). */
  pageSeconds?: number;
  /** Where each size's figures are printed as one JSON line (default console.log; null: silent). */
  print?: ((line: string) => void) | null;
}

export type CatalogSearchFigures = Awaited<ReturnType<typeof measure>> & {
  bench: 'catalog-search';
  generated: number;
};

const QUERIES = [
  'carta identita',
  'asilo nido',
  'tari',
  'certificato di nascita',
  'cambio residenza',
  'cerificato nascita',
  'pediatra',
  'assegno unico',
  'permesso ztl',
  'biglietti museo',
  'iscr',
  'dichiarazione redditi',
];

/** A pseudo-random generator with a fixed seed, so every run indexes the same catalog. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const SYLLABLES =
  'ba be bi bo ca ce ci co da de di do fa fe fi la le li lo ma me mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi vo za zi'.split(
    ' ',
  );

/** Services built from the demo catalog's texts plus generated words, so the vocabulary grows with N. */
function generate(
  count: number,
  bodies: string[],
): Array<Omit<Service, 'updatedAt'> & { updatedAt: string }> {
  const seed = readSeedCatalog('config/catalog');
  const next = random(42);
  const word = () =>
    Array.from(
      { length: 2 + Math.floor(next() * 3) },
      () => SYLLABLES[Math.floor(next() * SYLLABLES.length)],
    ).join('');
  return Array.from({ length: count }, (_, i) => {
    const template = seed.services[i % seed.services.length]!;
    const input: Partial<typeof template> = { ...template };
    delete input.id;
    delete input.body;
    const extra = `${word()} ${word()}`;
    return {
      ...(input as Omit<typeof template, 'id' | 'body'>),
      id: `bench-${i}`,
      bodyId: bodies[i % bodies.length]!,
      title: { it: `${template.title.it} ${extra}`, en: `${template.title.en} ${extra}` },
      description: {
        it: `${template.description.it} ${word()} ${word()} ${word()}`,
        en: `${template.description.en} ${word()} ${word()}`,
      },
      status: 'published',
      updatedAt: new Date().toISOString(),
    };
  });
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const mib = (bytes: number) => round(bytes / 1024 / 1024, 1);
const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Requests per second one page answers with CONCURRENCY connections for `pageSeconds`. The load
 * generator (autocannon) runs in a worker thread, so it does not share the server's event loop.
 */
async function throughput(url: string, pageSeconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: CONCURRENCY,
    duration: pageSeconds,
    headers: { Accept: 'text/html' },
    workers: 1,
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return result;
}

async function measure(size: number, pageSeconds: number) {
  const gateway: TestGateway = await createTestGateway({
    demo: true,
    rateLimit: { forms: { windowSeconds: 60, max: 1_000_000 }, api: { windowSeconds: 60, max: 1_000_000 } },
  });
  try {
    const repository = createCatalogRepository(gateway.redis);
    const bodies = (await repository.listBodies()).map((b) => b.ipaCode);
    const services = generate(size, bodies);
    for (let i = 0; i < services.length; i += 1000) {
      await Promise.all(
        services.slice(i, i + 1000).map((s) =>
          repository.save('service', s, {
            at: s.updatedAt,
            actor: 'system:bench',
            action: 'bench',
            kind: 'service',
            id: s.id,
            changes: {},
          }),
        ),
      );
    }
    const { index } = gateway.deps.catalog;
    gc?.();
    const before = process.memoryUsage();
    const started = process.hrtime.bigint();
    await index.rebuild();
    const buildMs = Number(process.hrtime.bigint() - started) / 1e6;
    gc?.();
    const after = process.memoryUsage();

    // Wall time of each search, and the CPU time the process spent on it: on a machine shared with
    // other work the first includes waiting for a core, the second does not.
    const latencies: number[] = [];
    const cpuTimes: number[] = [];
    const timed = async (query: Parameters<typeof index.search>[0]) => {
      const cpu = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await index.search(query);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const used = process.cpuUsage(cpu);
      cpuTimes.push((used.user + used.system) / 1000);
    };
    for (let round = 0; round < 40; round++) {
      for (const q of QUERIES) await timed({ q, limit: 20 });
      await timed({ q: 'certificato', topic: 'civil-registry', level: 'L2', limit: 20 });
    }
    latencies.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);

    const server = await listen(gateway.app);
    try {
      // Interleaved rounds, so a burst of load from elsewhere on the machine hits both pages alike; the
      // figures are the medians of the rounds.
      const rounds: Array<{ home: LoadResult; search: LoadResult }> = [];
      for (let r = 0; r < PAGE_ROUNDS; r++) {
        const home = await throughput(`${server.url}/`, pageSeconds);
        const search = await throughput(`${server.url}/services?q=carta+identita`, pageSeconds);
        rounds.push({ home, search });
      }
      const homeRps = median(rounds.map((r) => r.home.requests.average));
      const searchRps = median(rounds.map((r) => r.search.requests.average));
      const ratio = median(rounds.map((r) => r.search.requests.average / r.home.requests.average));
      return {
        services: index.size,
        indexBuildMs: round(buildMs, 1),
        searchP50Ms: round(percentile(latencies, 0.5), 3),
        searchP99Ms: round(percentile(latencies, 0.99), 3),
        searchCpuP50Ms: round(percentile(cpuTimes, 0.5), 3),
        searchCpuP99Ms: round(percentile(cpuTimes, 0.99), 3),
        searches: latencies.length,
        loadAverage1m: round(loadavg()[0] ?? 0, 2),
        heapUsedMiB: mib(after.heapUsed),
        indexHeapMiB: mib(after.heapUsed - before.heapUsed),
        rssMiB: mib(after.rss),
        homeRps: round(homeRps, 1),
        searchPageRps: round(searchRps, 1),
        homeP99Ms: median(rounds.map((r) => r.home.latency.p99)),
        searchPageP99Ms: median(rounds.map((r) => r.search.latency.p99)),
        searchPageToHomeRatio: round(ratio, 3),
        p99Under20ms: percentile(latencies, 0.99) < 20,
      };
    } finally {
      await server.close();
    }
  } finally {
    await gateway.close();
  }
}

/** Measures every size in turn; prints one JSON line per size and returns the figures. */
export async function runCatalogSearchBench(
  options: CatalogSearchBenchOptions = {},
): Promise<CatalogSearchFigures[]> {
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const pageSeconds = options.pageSeconds ?? DEFAULT_PAGE_SECONDS;
  const print = options.print === undefined ? (line: string) => console.log(line) : options.print;
  const figures: CatalogSearchFigures[] = [];
  for (const size of sizes) {
    const result = {
      bench: 'catalog-search' as const,
      generated: size,
      ...(await measure(size, pageSeconds)),
    };
    print?.(JSON.stringify(result));
    figures.push(result);
  }
  return figures;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  await runCatalogSearchBench({
    ...(process.argv[2] ? { sizes: process.argv[2].split(',').map(Number) } : {}),
    ...(process.argv[3] ? { pageSeconds: Number(process.argv[3]) } : {}),
  });
}
