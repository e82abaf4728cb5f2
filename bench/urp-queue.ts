/**
 * The URP desk's queues at scale: N generated requests (default 100,000) spread over kinds, topics,
 * statuses, bodies and due dates, then (1) the queue query's p50/p99 through the store (one set read,
 * several intersected) and (2) the queue pages' p99 over HTTP, rendered by the real app for a logged-in
 * operator and a body's answerer, under CONCURRENCY connections (autocannon, in a worker thread).
 * Needs the test Redis (127.0.0.1:6379); writes under its own key prefix and deletes it afterwards.
 * Run: npx tsx bench/urp-queue.ts [requests, e.g. 100000] [seconds per page; 0: the store only]
 * or import `runUrpQueueBench` (bench/run.ts does).
 * Target: queue page p99 under 100 ms at 100,000 requests.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { DEMO_URP_ANSWERER, DEMO_URP_OPERATOR } from '../src/demo/urp-seed.ts';
import {
  dueDate,
  URP_KINDS,
  URP_STATUSES,
  URP_TOPICS,
  type UrpRequest,
} from '../src/participation/urp/model.ts';
import type { QueueFilter } from '../src/participation/urp/urp.repository.ts';
import { createTestGateway, listen, type TestGateway } from '../test/helpers/gateway.ts';
import { autocannon } from './autocannon.ts';

const DEFAULT_REQUESTS = 100_000;
const DEFAULT_PAGE_SECONDS = 3;
const CONCURRENCY = 10;
const TARGET_P99_MS = 100;
const DAY_MS = 86_400_000;
const BODIES = ['c_g999', 'p_po', 'demo_utg_po', 'c_b626', 'c_l775'];

export interface UrpQueueBenchOptions {
  requests?: number;
  /** Seconds each queue page is loaded for; 0 measures the store only. */
  pageSeconds?: number;
  print?: ((line: string) => void) | null;
}

/** A pseudo-random generator with a fixed seed, so every run files the same requests. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;

/** Files `count` requests straight through the store, a thousand at a time. */
async function seed(gateway: TestGateway, count: number) {
  const { store } = gateway.deps.participation.urp;
  const next = random(7);
  const now = Date.now();
  for (let i = 0; i < count; i += 1000) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(1000, count - i) }, async (): Promise<UrpRequest> => {
        const filedAt = now - Math.floor(next() * 60 * DAY_MS);
        const status = pick(next, URP_STATUSES);
        const assigned = status === 'received' ? undefined : pick(next, BODIES);
        return {
          ref: await store.nextReference(filedAt),
          kind: pick(next, URP_KINDS),
          topic: pick(next, URP_TOPICS),
          chosenBody: assigned ?? 'unknown',
          assigned,
          status,
          filedAt,
          dueAt: dueDate(filedAt, 30),
          deadlineDays: 30,
          lang: 'it',
          channel: 'web',
          text: 'Richiesta generata per la misura delle code.',
          rated: false,
        };
      }),
    );
    await Promise.all(batch.map((request) => store.create(request)));
  }
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function sessionCookie(url: string): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0];
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

const FILTERS: { name: string; scope: string; filter: QueueFilter }[] = [
  { name: 'all', scope: 'all', filter: {} },
  { name: 'received', scope: 'all', filter: { status: 'received' } },
  { name: 'overdue', scope: 'all', filter: { due: 'overdue' } },
  {
    name: 'assigned reports about roads',
    scope: 'all',
    filter: { status: 'assigned', kind: 'report', topic: 'roads' },
  },
  { name: 'a body, overdue complaints', scope: 'b:c_g999', filter: { due: 'overdue', kind: 'complaint' } },
];

async function measure(count: number, pageSeconds: number) {
  const gateway = await createTestGateway({
    rateLimit: { forms: { windowSeconds: 60, max: 1_000_000 } },
    log: { level: 'warn' },
  });
  try {
    const started = Date.now();
    await seed(gateway, count);
    const seedSeconds = (Date.now() - started) / 1000;
    const { store } = gateway.deps.participation.urp;
    const queries: Record<string, { p50Ms: number; p99Ms: number; total: number }> = {};
    for (const { name, scope, filter } of FILTERS) {
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < 200; i++) {
        const t0 = process.hrtime.bigint();
        total = (await store.queue(scope, filter, { offset: 0, count: 50 })).total;
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      queries[name] = {
        p50Ms: round(percentile(times, 0.5), 3),
        p99Ms: round(percentile(times, 0.99), 3),
        total,
      };
    }
    if (pageSeconds <= 0)
      return { seedSeconds: round(seedSeconds, 1), queries, loadAverage1m: round(loadavg()[0] ?? 0) };

    const server = await listen(gateway.app);
    try {
      const operator = await sessionCookie(`${server.url}/__test/login?fiscalCode=${DEMO_URP_OPERATOR}`);
      const answerer = await sessionCookie(`${server.url}/__test/login?fiscalCode=${DEMO_URP_ANSWERER}`);
      const pages = [
        { name: 'operators, all', path: '/urp/queue', cookie: operator },
        {
          name: 'operators, assigned reports about roads',
          path: '/urp/queue?status=assigned&kind=report&topic=roads',
          cookie: operator,
        },
        { name: 'operators, overdue of a body', path: '/urp/queue?due=overdue&body=p_po', cookie: operator },
        {
          name: "answerer, the body's overdue",
          path: '/urp/bodies/c_g999/queue?due=overdue',
          cookie: answerer,
        },
      ];
      const results: Record<string, { rps: number; p50Ms: number; p99Ms: number; meetsTarget: boolean }> = {};
      for (const page of pages) {
        const load = await autocannon({
          url: `${server.url}${page.path}`,
          connections: CONCURRENCY,
          duration: pageSeconds,
          headers: { Accept: 'text/html', Cookie: page.cookie },
          workers: 1,
        });
        if (load.non2xx > 0 || load.errors > 0 || load.timeouts > 0)
          throw new Error(
            `${page.path}: ${load.non2xx} non-2xx, ${load.errors} errors, ${load.timeouts} timeouts`,
          );
        results[page.name] = {
          rps: round(load.requests.average, 1),
          p50Ms: load.latency.p50,
          p99Ms: load.latency.p99,
          meetsTarget: load.latency.p99 < TARGET_P99_MS,
        };
      }
      return {
        seedSeconds: round(seedSeconds, 1),
        queries,
        pages: results,
        loadAverage1m: round(loadavg()[0] ?? 0),
      };
    } finally {
      await server.close();
    }
  } finally {
    await gateway.close();
  }
}

/** Measures the queues at `requests` requests; prints one JSON line and returns the figures. */
export async function runUrpQueueBench(options: UrpQueueBenchOptions = {}) {
  const requests = options.requests ?? DEFAULT_REQUESTS;
  const pageSeconds = options.pageSeconds ?? DEFAULT_PAGE_SECONDS;
  const print = options.print === undefined ? (line: string) => console.log(line) : options.print;
  const result = { bench: 'urp-queue' as const, requests, ...(await measure(requests, pageSeconds)) };
  print?.(JSON.stringify(result));
  return result;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  await runUrpQueueBench({
    ...(process.argv[2] ? { requests: Number(process.argv[2]) } : {}),
    ...(process.argv[3] ? { pageSeconds: Number(process.argv[3]) } : {}),
  });
}
