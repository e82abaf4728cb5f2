/**
 * Usage statistics: what recording costs a request, how fast the dashboards render over a year of data,
 * and how much Redis memory a year takes.
 * - recording: the recorder's `record` per event (in-process, µs), and one batch written to Redis per
 *   interval; with `--pages`, the information sheet's requests/s with recording on and off (autocannon,
 *   10 connections, alternating rounds; target: at most 5 % fewer), to be run on an idle machine only.
 * - dashboards: /statistiche and /admin/statistiche over the last 365 days, rendered by the real app
 *   over HTTP, p50/p99 (target p99 < 200 ms).
 * - memory: MEMORY USAGE of every stats key after a generated year (the last 92 days, 8 days of hours,
 *   12 monthly rollups), at the demo network's size and at 100 bodies / 10,000 services.
 * Needs the test Redis (127.0.0.1:6379); writes under its own key prefix and deletes it afterwards.
 * Run: npx tsx bench/stats.ts [--pages] [--sizes=demo,large], or import `runStatsBench`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { SingleClient } from '../src/platform/redis.ts';
import { createLogger } from '../src/platform/logger.ts';
import { createStatsRecorder } from '../src/stats/stats.recorder.ts';
import { statsConfigSchema } from '../src/stats/stats.config.ts';
import { createTestGateway, listen, type TestGateway } from '../test/helpers/gateway.ts';
import { generateYear, type GeneratedNetwork } from '../test/helpers/stats-data.ts';

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const ADMIN = 'RSSMRA80A01H501U';

export const NETWORKS: Record<string, GeneratedNetwork> = {
  demo: { bodies: 20, servicesPerBody: 10, activeShare: 0.6, procedures: 3, termsPerMonth: 40 },
  large: { bodies: 100, servicesPerBody: 100, activeShare: 0.3, procedures: 20, termsPerMonth: 500 },
};

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function recordingCost(gw: TestGateway) {
  const recorder = createStatsRecorder(gw.redis, statsConfigSchema.parse({}), {
    logger: createLogger('silent'),
    visitorKey: 'bench-only-visitor-key',
  });
  const events = 200_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < events; i++)
    recorder.record({ kind: 'sheet', service: `service-${i % 500}`, body: `body-${i % 20}` });
  const recordNs = Number(process.hrtime.bigint() - started) / events;
  const flushStarted = process.hrtime.bigint();
  await recorder.flush();
  const flushMs = Number(process.hrtime.bigint() - flushStarted) / 1e6;
  return { recordMicros: +(recordNs / 1000).toFixed(3), batchOf500ServicesFlushMs: +flushMs.toFixed(1) };
}

/**
 * The information sheet's requests/s (its view is counted), with recording on and off, alternating
 * rounds so a change in the machine's load touches both.
 */
async function recordingOverhead(rounds = 4) {
  const rates = { on: [] as number[], off: [] as number[] };
  // The order alternates from round to round: the second gateway of a round meets a process warmed by the first.
  for (let round = 0; round < rounds; round++)
    for (const recording of round % 2 === 0 ? [true, false] : [false, true]) {
      const gw = await createTestGateway({ stats: { recording } });
      const server = await listen(gw.app);
      try {
        await sheetThroughput(server.url, 1);
        rates[recording ? 'on' : 'off'].push(await sheetThroughput(server.url, 3));
      } finally {
        await server.close();
        await gw.close();
      }
    }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  const on = median(rates.on);
  const off = median(rates.off);
  return {
    sheetRequestsPerSecondOn: on,
    sheetRequestsPerSecondOff: off,
    overheadPercent: +((1 - on / off) * 100).toFixed(1),
  };
}

async function sheetThroughput(url: string, seconds: number) {
  const autocannon = createRequire(import.meta.url)('autocannon') as (
    options: Record<string, unknown>,
  ) => Promise<{ requests: { average: number } }>;
  const result = await autocannon({
    url: `${url}/services/museo-tessuto-biglietti`,
    connections: 10,
    duration: seconds,
  });
  return result.requests.average;
}

async function renderTimes(url: string, cookie: string, path: string, rounds: number) {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { cookie } });
    await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: +percentile(times, 50).toFixed(1), p99Ms: +percentile(times, 99).toFixed(1) };
}

async function memoryOfStats(gw: TestGateway) {
  const client = gw.redis.client as SingleClient;
  const byKind: Record<string, { keys: number; bytes: number }> = {};
  for await (const keys of client.scanIterator({ MATCH: `${gw.config.redis.prefix}stats:*`, COUNT: 1000 }))
    for (const key of keys) {
      const kind = /:\{d:[^}]+\}:c$/.test(key)
        ? 'days'
        : /:\{d:[^}]+\}:h$/.test(key)
          ? 'hours'
          : /:\{m:[^}]+\}:c$/.test(key)
            ? 'months'
            : 'zero-result terms';
      const bytes = (await client.memoryUsage(key, { SAMPLES: 0 })) ?? 0;
      const entry = (byKind[kind] ??= { keys: 0, bytes: 0 });
      entry.keys += 1;
      entry.bytes += bytes;
    }
  const totalBytes = Object.values(byKind).reduce((sum, e) => sum + e.bytes, 0);
  return { totalMB: +(totalBytes / 2 ** 20).toFixed(1), byKind };
}

export async function runStatsBench(options: { sizes?: string[]; pages?: boolean; rounds?: number } = {}) {
  const results: Record<string, unknown>[] = [];
  for (const size of options.sizes ?? ['demo', 'large']) {
    const network = NETWORKS[size];
    if (!network) throw new Error(`unknown size ${size}`);
    const gw = await createTestGateway({ registry: { admins: [ADMIN] } });
    const server = await listen(gw.app);
    try {
      const generatedAt = Date.now();
      await generateYear(gw.redis, network, { dailyDays: 92 });
      const generateSeconds = (Date.now() - generatedAt) / 1000;
      const login = await fetch(`${server.url}/__test/login?fiscalCode=${ADMIN}`);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const year = `from=${isoDay(Date.now() - 365 * DAY_MS)}&to=${isoDay(Date.now())}`;
      const rounds = options.rounds ?? 30;
      const figures: Record<string, unknown> = {
        bench: 'stats',
        size,
        services: network.bodies * network.servicesPerBody,
        generateSeconds,
        publicYear: await renderTimes(server.url, '', `/statistiche?${year}`, rounds),
        adminYear: await renderTimes(server.url, cookie, `/admin/statistiche?${year}`, rounds),
        memory: await memoryOfStats(gw),
        recording: await recordingCost(gw),
      };
      console.log(JSON.stringify(figures));
      results.push(figures);
    } finally {
      await server.close();
      await gw.close();
    }
  }
  if (options.pages) {
    const overhead = { bench: 'stats', pages: await recordingOverhead() };
    console.log(JSON.stringify(overhead));
    results.push(overhead);
  }
  return results;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const sizes = process.argv
    .find((a) => a.startsWith('--sizes='))
    ?.slice('--sizes='.length)
    .split(',');
  await runStatsBench({ ...(sizes ? { sizes } : {}), pages: process.argv.includes('--pages') });
  process.exit(0);
}
