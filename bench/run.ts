/**
 * Every benchmark, one after the other: `npm run bench`, or some of them: `npm run bench -- --only=http,spid`.
 * Each one measures the gateway against a baseline in the same run (see each file for what and why) and
 * prints its figures as JSON lines; the HTTP pages also as a table. Needs the test Redis (127.0.0.1:6379);
 * every bench writes under its own key prefix and deletes it afterwards.
 * To add a bench: a file bench/<name>.ts exporting a run…Bench(options) function, and one entry in BENCHES.
 */
import { cpus, loadavg } from 'node:os';
import { runCatalogSearchBench } from './catalog-search.ts';
import { runHttpPagesBench, TARGET_RATIO, type HttpPageFigures } from './http-pages.ts';
import { runJourneyBench } from './journey.ts';
import { runLogRedactionBench } from './log-redaction.ts';
import { runProceduresBench } from './procedures.ts';
import { runRedisFailoverBench } from './redis-failover.ts';
import { runSpidLoginBench } from './spid-login.ts';
import { runSsoBench } from './sso.ts';
import { runStatsBench } from './stats.ts';
import { runUrpQueueBench } from './urp-queue.ts';

interface Bench {
  name: string;
  what: string;
  run(): Promise<unknown>;
}

const BENCHES: Bench[] = [
  {
    name: 'http',
    what: `the anonymous home, a service page logged in and /me (and, no target, the platform alone), 50 connections, against bare Express + connect-redis (target ≥ ${TARGET_RATIO})`,
    run: async () => printTable(await runHttpPagesBench({ rounds: 5, seconds: 4 })),
  },
  {
    name: 'logs',
    what: 'one request log line, redacted by the logger, against bare pino (and pino redact paths)',
    run: async () => runLogRedactionBench({ lines: 50_000 }),
  },
  {
    name: 'spid',
    what: 'complete SPID logins per second against the raw RSA operations they need',
    run: () => runSpidLoginBench({ logins: 100 }),
  },
  {
    name: 'sso',
    what: 'SSO round trips (authorization + token) of logged-in, consented citizens against bare oidc-provider',
    run: () => runSsoBench({ roundTrips: 100, browsers: 4 }),
  },
  {
    name: 'catalog',
    what: 'catalog search at 1,000 and 10,000 services (index build, p50/p99, search page against home)',
    run: () => runCatalogSearchBench({ sizes: [1000, 10_000], pageSeconds: 3 }),
  },
  {
    name: 'procedures',
    what: 'newborn cases/s and delivery p50/p99 against bare BullMQ; then bodies failing 30% (lost cases: 0)',
    run: () => runProceduresBench({ cases: 200 }),
  },
  {
    name: 'failover',
    what: 'logged-in load while a Sentinel master and a Cluster master are killed: 503s, other failures (0), longest wait, recovery against the promotion time',
    run: () => runRedisFailoverBench({ seconds: 10, connections: 8 }),
  },
  {
    name: 'stats',
    what: 'usage statistics: recording cost per event, /statistiche and /admin/statistiche over a year (p99 target < 200 ms), Redis memory of a year at demo size and at 10,000 services',
    run: () => runStatsBench({ sizes: ['demo', 'large'], rounds: 30 }),
  },
  {
    name: 'urp',
    what: 'URP queue pages at 100,000 requests: the store query p50/p99 per filter, then the pages for an operator and an answerer (target p99 < 100 ms)',
    run: () => runUrpQueueBench({ requests: 100_000, pageSeconds: 3 }),
  },
  {
    name: 'journey',
    what: 'the newborn bundle walked through its pages by citizens (16 requests each) against as many /me requests',
    run: () => runJourneyBench({ citizens: 40, concurrency: 8, rounds: 5 }),
  },
];

function printTable(rows: HttpPageFigures[]) {
  const header = ['scenario', 'bytes', 'req/s', 'p99 ms', 'baseline req/s', 'baseline p99 ms', 'ratio', ''];
  const lines = rows.map((r) => [
    r.scenario,
    String(r.bytes),
    r.requestsPerSecond.toFixed(1),
    String(r.p99Ms),
    r.baselineRequestsPerSecond.toFixed(1),
    String(r.baselineP99Ms),
    r.ratio.toFixed(3),
    r.meetsTarget === undefined ? '(no target)' : r.meetsTarget ? 'ok' : `below ${TARGET_RATIO}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  for (const line of [header, ...lines]) {
    console.log(
      line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    );
  }
}

/** The benches `--only=a,b` names (all without it); an unknown name is an error that lists the known ones. */
function selected(args: readonly string[]): Bench[] {
  const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  if (!only) return BENCHES;
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !BENCHES.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  }
  return BENCHES.filter((bench) => names.includes(bench.name));
}

try {
  const load = loadavg().map((n) => n.toFixed(1));
  console.log(
    `${new Date().toISOString()}: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), load ${load.join(' ')}`,
  );
  for (const bench of selected(process.argv.slice(2))) {
    console.log(`\n== ${bench.name}: ${bench.what}`);
    const started = Date.now();
    await bench.run();
    console.log(`(${bench.name}: ${Math.round((Date.now() - started) / 1000)} s)`);
  }
  // The demo identity providers and body systems keep timers; the benches have closed what they opened.
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
