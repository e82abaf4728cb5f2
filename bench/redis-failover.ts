/**
 * Redis failover bench: the same load (logged-in citizens asking for /me, `connections` at a time) on a
 * gateway over a real Sentinel group and over a real Cluster, while a master is killed. Measures what
 * citizens see: requests answered 503 (the gateway refusing while Redis cannot serve), requests that
 * failed otherwise (a 500, or a hang past the client's 10 s patience: should be 0), and the time from
 * the kill until requests are served normally again (the first 200 after the last request that failed
 * or waited longer than the command timeout), and the longest wait, against the engine's own failover time (the kill to
 * the replica's promotion, as the sentinels or the cluster report it): ratio = recovery ÷ promotion, 1
 * when the gateway serves as soon as Redis can.
 *
 * Run: npx tsx bench/redis-failover.ts [seconds of load after the kill, default 10], or import
 * `runRedisFailoverBench`. Ports 7170-7189.
 */
import { pathToFileURL } from 'node:url';
import { listen } from '../test/helpers/gateway.ts';
import { startDeliveringGateway } from '../test/helpers/procedures.ts';
import { startSentinelGroup, startTestCluster } from '../test/helpers/redis-topology.ts';

const COMMAND_TIMEOUT_MS = 1000;
const DETECTION_MS = 1000;

interface Sample {
  /** When the answer came, and how long it took. */
  at: number;
  ms: number;
  status: number | 'hang' | 'error';
}

export interface FailoverFigures {
  engine: 'sentinel' | 'cluster';
  requests: number;
  unavailable503: number;
  failedOtherwise: number;
  /** The longest any request waited for its answer. */
  maxWaitMs: number;
  /** What those were: status (500…), 'hang' (no answer in 10 s) or 'error' (connection refused). */
  otherwise: Record<string, number>;
  promotionMs: number;
  recoveryMs: number;
  ratio: number;
}

/** Runs `connections` loops of GET /me until `stop()`; every answer is a sample. */
function load(url: string, cookie: string, connections: number) {
  const samples: Sample[] = [];
  let running = true;
  const loops = Array.from({ length: connections }, async () => {
    while (running) {
      const sentAt = Date.now();
      const status = await fetch(`${url}/me`, {
        headers: { Cookie: cookie, Accept: 'text/html' },
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      }).then(
        async (res) => {
          await res.arrayBuffer();
          return res.status;
        },
        (error: Error) => (error.name === 'TimeoutError' ? ('hang' as const) : ('error' as const)),
      );
      samples.push({ at: Date.now(), ms: Date.now() - sentAt, status });
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

function figures(
  engine: FailoverFigures['engine'],
  samples: Sample[],
  killedAt: number,
  promotedAt: number,
): FailoverFigures {
  const after = samples.filter((s) => s.at >= killedAt);
  // Disturbed: answered other than 200, or made to wait longer than the command timeout.
  const disturbed = after.filter((s) => s.status !== 200 || s.ms > COMMAND_TIMEOUT_MS);
  const lastDisturbed = disturbed.at(-1)?.at ?? killedAt;
  const firstBack = after.find((s) => s.at > lastDisturbed && s.status === 200)?.at ?? Number.NaN;
  const others = after.filter((s) => s.status !== 200 && s.status !== 503).map((s) => String(s.status));
  const promotionMs = promotedAt - killedAt;
  const recoveryMs = firstBack - killedAt;
  return {
    engine,
    requests: after.length,
    unavailable503: after.filter((s) => s.status === 503).length,
    failedOtherwise: others.length,
    maxWaitMs: Math.max(0, ...after.map((s) => s.ms)),
    otherwise: Object.fromEntries([...new Set(others)].map((k) => [k, others.filter((o) => o === k).length])),
    promotionMs,
    recoveryMs,
    ratio: Number((recoveryMs / promotionMs).toFixed(2)),
  };
}

async function measure(
  engine: FailoverFigures['engine'],
  redis: Record<string, unknown>,
  kill: () => Promise<{ promotedAt: number }>,
  options: { seconds: number; connections: number },
): Promise<FailoverFigures> {
  const gateway = await startDeliveringGateway({
    redis: { url: undefined, ...redis, commandTimeoutMs: COMMAND_TIMEOUT_MS, maxReconnectDelayMs: 200 },
    procedures: { delivery: { supervisionMs: 1000 } },
  });
  const server = await listen(gateway.app);
  try {
    const login = await fetch(`${server.url}/__test/login`);
    const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    const running = load(server.url, cookie, options.connections);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const killedAt = Date.now();
    const { promotedAt } = await kill();
    const rest = killedAt + options.seconds * 1000 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, rest)));
    await running.stop();
    return figures(engine, running.samples, killedAt, promotedAt);
  } finally {
    await server.close();
    await gateway.stop().catch(() => undefined);
  }
}

export async function runRedisFailoverBench(options: { seconds?: number; connections?: number } = {}) {
  const settings = { seconds: options.seconds ?? 10, connections: options.connections ?? 8 };
  const results: FailoverFigures[] = [];

  const group = await startSentinelGroup(7170, { downAfterMs: DETECTION_MS });
  try {
    const sentinel = { sentinel: { name: group.name, nodes: group.nodes } };
    const kill = async () => {
      await group.failover();
      return { promotedAt: Date.now() };
    };
    results.push(await measure('sentinel', sentinel, kill, settings));
  } finally {
    await group.dispose();
  }

  const cluster = await startTestCluster(7180, { nodeTimeoutMs: DETECTION_MS });
  try {
    const kill = async () => {
      const nodes = await cluster.topology();
      const master = nodes.find((node) => node.role === 'master')!.port;
      const replica = nodes.find((node) => node.masterPort === master)!.port;
      await cluster.process(master).kill('SIGKILL');
      for (;;) {
        const promoted = (await cluster.topology(replica)).find((node) => node.port === replica);
        if (promoted?.role === 'master' && (await cluster.healthy())) return { promotedAt: Date.now() };
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    results.push(await measure('cluster', { cluster: { nodes: cluster.urls } }, kill, settings));
  } finally {
    await cluster.dispose();
  }

  for (const result of results)
    console.log(JSON.stringify({ bench: 'redis-failover', ...settings, ...result }));
  return results;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  await runRedisFailoverBench(process.argv[2] ? { seconds: Number(process.argv[2]) } : {});
  process.exit(0);
}
