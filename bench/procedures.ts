/**
 * Composite procedures end to end: newborn cases per second through the whole engine (confirmation,
 * encrypted case, BullMQ queues, signed HTTP POSTs to local body endpoints — a local server that
 * verifies every signature with the published keys and answers as the demo bodies would — reports,
 * release of dependent steps, purge), and delivery latency p50/p99 (a step queued → completed), each
 * as a ratio against a bare BullMQ producer/consumer moving the same number of jobs on the same Redis
 * in the same run. A second run has every body
 * endpoint fail 30% of calls (503) and counts lost cases, which must be zero.
 * Needs the test Redis (127.0.0.1:6379); writes under its own key prefixes and deletes them afterwards.
 * Run: npx tsx bench/procedures.ts [cases, default 200] or import `runProceduresBench`.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pathToFileURL } from 'node:url';
import { testCitizen } from '../test/helpers/gateway.ts';
import { newbornForm, startDeliveringGateway, testBodySystem } from '../test/helpers/procedures.ts';
import { DEMO_STEPS } from '../src/demo/body-systems/demo-steps.ts';
import { qualifiedStepId } from '../src/procedures/definition.schema.ts';
import { deliveryClaimsSchema } from '../src/procedures/delivery.schema.ts';

const STEPS_PER_CASE = 5;
const BENCH_ACTOR = { kind: 'system', id: 'bench' } as const;
const CONCURRENCY = 5;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ProceduresBenchOptions {
  /** Newborn cases per run (default 200). */
  cases?: number;
  /** Where each run's figures are printed as one JSON line (default console.log; null: silent). */
  print?: ((line: string) => void) | null;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The baseline: `jobs` trivial jobs through one BullMQ queue per endpoint, same concurrency, same Redis. */
async function bareBullmq(jobs: number, queues: number) {
  const prefix = `varco-bench:${process.pid}:bull`;
  const connect = () => new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const connection = connect();
  const names = Array.from({ length: queues }, (_, i) => `bare-${i}`);
  const all = names.map((name) => new Queue(name, { connection, prefix }));
  const latencies: number[] = [];
  let done = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const workers = names.map((name) => {
    const worker = new Worker(name, async () => 'ok', {
      connection: connect(),
      prefix,
      concurrency: CONCURRENCY,
    });
    worker.on('completed', (job) => {
      latencies.push((job.finishedOn ?? Date.now()) - job.timestamp);
      if (++done === jobs) finish();
    });
    return worker;
  });
  const started = performance.now();
  for (let i = 0; i < jobs; i++) {
    await all[i % queues]!.add('deliver', { i }, { jobId: `job-${i}`, removeOnComplete: true });
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((w) => w.close()));
  for (const queue of all) await queue.obliterate({ force: true });
  await Promise.all(all.map((q) => q.close()));
  await connection.quit();
  latencies.sort((a, b) => a - b);
  return { jobsPerSecond: jobs / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** `cases` newborn cases through the engine; failureRate: share of the body endpoints' calls that fail. */
async function engineRun(cases: number, failureRate: number) {
  const gateway = await startDeliveringGateway({
    log: { level: 'silent' },
    procedures: {
      retainDataSeconds: 0,
      delivery: { attempts: 15, backoffMs: 20, concurrency: CONCURRENCY },
    },
  });
  const bodies = await localBodies(gateway, failureRate);
  try {
    const { cases: service, procedures } = gateway.deps.procedures;
    const newborn = procedures.get('newborn')!;
    const form = newbornForm();
    const started = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < cases; i++) {
      const parent = testCitizen();
      ids.push((await service.confirm(newborn, parent, form)).id);
    }
    const deadline = Date.now() + 120_000 + cases * 200;
    let open = ids;
    while (open.length > 0 && Date.now() < deadline) {
      const states = await Promise.all(open.map((id) => service.get(id)));
      open = open.filter((_, i) => states[i]?.status === 'open');
      if (open.length > 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const seconds = (performance.now() - started) / 1000;
    const latencies: number[] = [];
    let completed = 0;
    for (const id of ids) {
      const record = await service.get(id);
      if (record?.status === 'completed') completed++;
      const history = await service.history(id);
      for (const entry of history.filter((e) => e.status === 'completed' && e.step)) {
        const queued = history.find((e) => e.step === entry.step && e.status === 'queued');
        if (queued) latencies.push(Date.parse(entry.at) - Date.parse(queued.at));
      }
    }
    latencies.sort((a, b) => a - b);
    const deadLetters = (await gateway.deps.procedures.queues.deadLetters(10_000)).length;
    return {
      casesPerSecond: completed / seconds,
      completed,
      lost: cases - completed,
      deadLetters,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  } finally {
    await bodies.stop();
    await gateway.stop();
  }
}

/**
 * One local HTTP server playing every body endpoint of the newborn bundle: verifies each delivery's
 * signature with the published keys and answers with the step's result (the demo bodies' rules),
 * or, for a share `failureRate` of calls, with a 503.
 */
async function localBodies(gateway: Awaited<ReturnType<typeof startDeliveringGateway>>, failureRate: number) {
  const bodies = testBodySystem(gateway.url, (delivery) => {
    if (Math.random() < failureRate) return { status: 503 };
    const claims = deliveryClaimsSchema.parse(delivery.claims);
    return { status: 200, body: DEMO_STEPS[claims.step]!(claims) };
  });
  const url = await bodies.start();
  const procedure = gateway.deps.procedures.procedures.get('newborn')!;
  for (const step of procedure.definition.steps) {
    const handles = procedure.definition.steps
      .filter((s) => s.body === step.body && s.endpoint === step.endpoint)
      .map((s) => qualifiedStepId(procedure.definition, s));
    const title = { it: 'Sistema locale', en: 'Local system' };
    await gateway.deps.catalog.writer.putEndpoint(BENCH_ACTOR, step.body, step.endpoint, {
      title,
      url,
      handles,
    });
  }
  return bodies;
}

export async function runProceduresBench(options: ProceduresBenchOptions = {}) {
  const cases = options.cases ?? 200;
  const print = options.print === undefined ? (line: string) => console.log(line) : options.print;
  const jobs = cases * STEPS_PER_CASE;
  await bareBullmq(Math.min(jobs, 100), 4); // warm-up of both sides (JIT, connections, the bodies' key fetch)
  await engineRun(Math.min(cases, 10), 0);
  const baseline = await bareBullmq(jobs, 4);
  const engine = await engineRun(cases, 0);
  const throughput = {
    bench: 'procedures' as const,
    run: 'reliable bodies',
    cases,
    jobs,
    engineCasesPerSecond: round(engine.casesPerSecond),
    bareBullmqJobsPerSecond: round(baseline.jobsPerSecond),
    /** Cases/s against the cases/s the bare queue would carry (its jobs/s over the steps per case). */
    casesPerSecondRatio: round(engine.casesPerSecond / (baseline.jobsPerSecond / STEPS_PER_CASE), 3),
    deliveryLatencyMs: { p50: engine.p50, p99: engine.p99 },
    bareLatencyMs: { p50: baseline.p50, p99: baseline.p99 },
    latencyRatio: {
      p50: round(engine.p50 / Math.max(1, baseline.p50)),
      p99: round(engine.p99 / Math.max(1, baseline.p99)),
    },
    lostCases: engine.lost,
  };
  print?.(JSON.stringify(throughput));
  const flaky = await engineRun(cases, 0.3);
  const failures = {
    bench: 'procedures' as const,
    run: 'bodies failing 30% of calls',
    cases,
    engineCasesPerSecond: round(flaky.casesPerSecond),
    casesPerSecondRatio: round(flaky.casesPerSecond / (baseline.jobsPerSecond / STEPS_PER_CASE), 3),
    deliveryLatencyMs: { p50: flaky.p50, p99: flaky.p99 },
    deadLetters: flaky.deadLetters,
    lostCases: flaky.lost,
  };
  print?.(JSON.stringify(failures));
  print?.(`lost cases with bodies failing 30% of calls: ${flaky.lost}`);
  return { throughput, failures };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  await runProceduresBench(process.argv[2] ? { cases: Number(process.argv[2]) } : {});
  process.exit(0);
}
