/**
 * The pages of bench/http-pages.ts, measured by the CPU time the servers' process spends per request
 * rather than by requests per second: on a machine that other work keeps busy, throughput follows the
 * load of the moment, while the CPU a request costs moves much less. The gateway and the baseline run in
 * this process (as in http-pages.ts); the load comes from autocannon in a process of its own, a fixed
 * number of requests under 50 connections, so the CPU this process uses over a measurement
 * (process.cpuUsage(), user and system, the garbage collector included) is the servers'. Interleaved
 * rounds, order alternating; medians compared.
 * Run: npx tsx bench/http-pages-cpu.ts [--rounds=5] [--requests=5000] [--only=me,home] [--gateway-only] [--no-build]
 * (`--only` keeps the pages whose name contains one of the words; `--gateway-only` skips the baseline,
 * to profile the gateway alone: node --cpu-prof --cpu-prof-dir=var/prof --import tsx bench/http-pages-cpu.ts;
 * `--no-build` uses dist/ as it is).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs, promisify } from 'node:util';
import { startHttpPages } from './http-pages.ts';

const CONNECTIONS = 50;
const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const run = promisify(execFile);

/**
 * Sends `requests` requests from another process; the CPU this process used meanwhile, in µs per request.
 * A measurement with answers other than 2xx (on a machine so busy that Redis seemed silent for the
 * command timeout and the deadline answered 503) is taken again, up to three times.
 */
async function cpuPerRequest(url: string, headers: Record<string, string>, requests: number) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await measureCpu(url, headers, requests);
    } catch (error) {
      if (attempt === 3) throw error;
      console.error(`${(error as Error).message}: measured again`);
    }
  }
}

async function measureCpu(url: string, headers: Record<string, string>, requests: number) {
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]);
  const args = [
    ...[autocannonBin, '-c', String(CONNECTIONS), '-a', String(requests), '-t', '60', '-j'],
    ...headerArgs,
    url,
  ];
  const before = process.cpuUsage();
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const used = process.cpuUsage(before);
  const result = JSON.parse(stdout) as { requests: { total: number }; non2xx: number; errors: number };
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return (used.user + used.system) / result.requests.total;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '5000' },
    only: { type: 'string' },
    'gateway-only': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const only = values.only?.split(',');
const apps = values['gateway-only'] ? (['gateway'] as const) : (['baseline', 'gateway'] as const);

const pages = await startHttpPages({ build: !values['no-build'] });
try {
  const scenarios = pages.scenarios.filter((s) => !only || only.some((word) => s.name.includes(word)));
  const pathOf = (app: 'gateway' | 'baseline', s: (typeof scenarios)[number]) =>
    `${pages.servers[app]}${app === 'baseline' ? (s.baselinePath ?? s.path) : s.path}`;
  const headersOf = (app: 'gateway' | 'baseline', s: (typeof scenarios)[number]) =>
    app === 'gateway' ? s.gatewayHeaders : s.baselineHeaders;
  // A warm-up of each (JIT, view cache, connection pools), not counted.
  for (const s of scenarios)
    for (const app of apps) await cpuPerRequest(pathOf(app, s), headersOf(app, s), Math.min(requests, 2000));
  const measured = new Map(
    scenarios.map((s) => [s.name, { gateway: [] as number[], baseline: [] as number[] }]),
  );
  const load = loadavg()[0]!;
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? apps : [...apps].reverse();
    for (const s of scenarios)
      for (const app of order)
        measured.get(s.name)![app].push(await cpuPerRequest(pathOf(app, s), headersOf(app, s), requests));
  }
  for (const s of scenarios) {
    const { gateway, baseline } = measured.get(s.name)!;
    const round = (n: number) => Math.round(n * 10) / 10;
    console.log(
      JSON.stringify({
        bench: 'http-pages-cpu',
        scenario: s.name,
        rounds,
        requests,
        cpuMicrosPerRequest: round(median(gateway)),
        cpuMicrosPerRequestRounds: gateway.map(round),
        ...(baseline.length
          ? {
              baselineCpuMicrosPerRequest: round(median(baseline)),
              // The baseline's CPU per request over the gateway's: what the throughput ratio would be
              // were the servers' process alone on its core.
              ratio: Math.round((median(baseline) / median(gateway)) * 1000) / 1000,
            }
          : {}),
        loadAverage: [round(load), round(loadavg()[0]!)],
      }),
    );
  }
} finally {
  await pages.close();
}
process.exit(0);
