import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { redisAnswers } from '../../src/platform/embedded-redis.ts';

const run = promisify(execFile);

/**
 * Real Redis topologies for tests, from the same `redis-server` binary: a Sentinel group (a master, a
 * replica, three sentinels) and a Cluster (three masters, a replica each). Fixed loopback ports given by
 * the caller (tests use 7100-7199), no persistence unless asked, a temporary directory per process.
 */
export interface RedisProcess {
  port: number;
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  running(): boolean;
}

/**
 * Added to every fixed port below (TEST_REDIS_PORT_OFFSET, default 0): two checkouts on one machine can
 * run these tests at once without their servers meeting.
 */
export const TEST_PORT_OFFSET = Number(process.env.TEST_REDIS_PORT_OFFSET ?? 0);

async function until(condition: () => Promise<boolean>, what: string, deadlineMs = 20_000) {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`test redis: ${what} not reached in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function redisProcess(port: number, dir: string, args: () => string[]): RedisProcess {
  let child: ChildProcess | undefined;
  const process: RedisProcess = {
    port,
    async start() {
      mkdirSync(dir, { recursive: true });
      child = spawn('redis-server', args(), { stdio: 'ignore', cwd: dir });
      const started = child;
      await until(
        async () => {
          if (started.exitCode !== null) throw new Error(`redis-server on ${port} exited`);
          return redisAnswers('127.0.0.1', port, 200);
        },
        `redis-server on ${port} answering`,
        10_000,
      );
    },
    async kill(signal = 'SIGKILL') {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill(signal);
      await exited;
    },
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
  };
  return process;
}

/** A lone redis-server on `port` with `args` added (no persistence), e.g. a memory limit. */
export async function startRedisOn(port: number, args: string[] = []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'varco-redis-'));
  const server = redisProcess(port, dir, () => [
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ...args,
  ]);
  await server.start();
  return {
    ...server,
    url: `redis://127.0.0.1:${port}`,
    async dispose() {
      await server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One command to the server on `port`, on a connection of its own. */
export async function redisCommand(port: number, args: string[]): Promise<unknown> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

export interface SentinelGroup {
  name: string;
  master: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  /** The sentinels, as the gateway's configuration lists them. */
  nodes: Array<{ host: string; port: number }>;
  /** The port of the server the sentinels name as master now. */
  masterPort(): Promise<number>;
  /** Kills the current master (SIGKILL) and waits until the sentinels have promoted the other server. */
  failover(): Promise<{ killed: RedisProcess; promoted: RedisProcess }>;
  dispose(): Promise<void>;
}

/** A master on `basePort`, its replica on +1, sentinels on +2..+4 (quorum 2), detection after `downAfterMs`. */
export async function startSentinelGroup(
  basePort: number,
  options: { downAfterMs?: number; name?: string } = {},
): Promise<SentinelGroup> {
  const name = options.name ?? 'varco';
  const downAfterMs = options.downAfterMs ?? 1000;
  const root = mkdtempSync(path.join(tmpdir(), 'varco-sentinel-'));
  const server = (port: number, replicaOf?: number) =>
    redisProcess(port, path.join(root, String(port)), () => [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : []),
      // DEBUG SLEEP holds the commands sent to a master, so a test can kill it while they wait.
      ...['--enable-debug-command', 'local'],
    ]);
  const master = server(basePort);
  const replica = server(basePort + 1, basePort);
  const sentinels = [2, 3, 4].map((offset) => {
    const port = basePort + offset;
    const dir = path.join(root, String(port));
    return redisProcess(port, dir, () => {
      const file = path.join(dir, 'sentinel.conf');
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `sentinel monitor ${name} 127.0.0.1 ${basePort} 2`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} ${Math.max(2000, downAfterMs * 2)}`,
          '',
        ].join('\n'),
      );
      return [file, '--sentinel'];
    });
  });
  await master.start();
  await replica.start();
  for (const sentinel of sentinels) await sentinel.start();
  const all = [master, replica];
  const masterPort = async () => {
    const reply = (await redisCommand(sentinels[0]!.port, [
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      name,
    ])) as string[];
    return Number(reply[1]);
  };
  // Every sentinel must know the replica and the two other sentinels before a failover can happen.
  for (const sentinel of sentinels) {
    await until(async () => {
      const info = (await redisCommand(sentinel.port, ['SENTINEL', 'MASTER', name])) as Record<
        string,
        string
      >;
      const field = (key: string) => Number(info[key]);
      return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
    }, 'sentinels knowing each other');
  }
  await until(
    async () =>
      String(await redisCommand(replica.port, ['INFO', 'replication'])).includes('master_link_status:up'),
    'replica in sync',
  );
  return {
    name,
    master,
    replica,
    sentinels,
    nodes: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    masterPort,
    async failover() {
      const before = await masterPort();
      const killed = all.find((p) => p.port === before)!;
      const promoted = all.find((p) => p.port !== before)!;
      await killed.kill('SIGKILL');
      await until(async () => (await masterPort()) === promoted.port, 'promotion of the replica', 30_000);
      await until(
        async () => String(await redisCommand(promoted.port, ['ROLE'])).startsWith('master'),
        'the promoted server acting as master',
      );
      return { killed, promoted };
    },
    async dispose() {
      for (const p of [...sentinels, master, replica]) await p.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface ClusterNodeInfo {
  port: number;
  role: 'master' | 'replica';
  /** For a replica, the port of its master. */
  masterPort?: number;
  failed: boolean;
}

export interface TestCluster {
  processes: RedisProcess[];
  /** Seed nodes, as the gateway's configuration lists them. */
  urls: string[];
  /** The cluster as the node on `askPort` sees it now. */
  topology(askPort?: number): Promise<ClusterNodeInfo[]>;
  process(port: number): RedisProcess;
  /** True when every running node reports `cluster_state:ok`. */
  healthy(): Promise<boolean>;
  waitHealthy(deadlineMs?: number): Promise<void>;
  /** Waits until every running replica's link to its master is up (a failover needs it). */
  waitReplicasInSync(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Three masters and three replicas on `basePort`..+5, `cluster-node-timeout` = `nodeTimeoutMs`, the
 * append-only file on (a node restarted keeps its data, as a production node would).
 */
export async function startTestCluster(basePort: number, options: { nodeTimeoutMs?: number } = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'varco-cluster-'));
  const ports = [0, 1, 2, 3, 4, 5].map((offset) => basePort + offset);
  const processes = ports.map((port) =>
    redisProcess(port, path.join(root, String(port)), () => [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', ''],
      ...['--appendonly', 'yes', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
      ...['--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000)],
      // A replica takes over however long it was cut off from its master (the tests kill and restart).
      ...['--cluster-replica-validity-factor', '0'],
    ]),
  );
  for (const p of processes) await p.start();
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ]);
  const topology = async (askPort?: number): Promise<ClusterNodeInfo[]> => {
    const ask = askPort ?? processes.find((p) => p.running())!.port;
    const text = String(await redisCommand(ask, ['CLUSTER', 'NODES']));
    const lines = text
      .trim()
      .split('\n')
      .map((line) => line.split(' '));
    const portOf = new Map(lines.map((f) => [f[0]!, Number(f[1]!.split(':')[1]!.split('@')[0])]));
    return lines.map((f) => {
      const flags = f[2]!.split(',');
      const replica = flags.includes('slave');
      return {
        port: portOf.get(f[0]!)!,
        role: replica ? 'replica' : 'master',
        ...(replica ? { masterPort: portOf.get(f[3]!) } : {}),
        failed: flags.includes('fail') || flags.includes('fail?'),
      };
    });
  };
  const healthy = async () => {
    for (const p of processes.filter((q) => q.running())) {
      const info = String(await redisCommand(p.port, ['CLUSTER', 'INFO']));
      if (!info.includes('cluster_state:ok')) return false;
    }
    return true;
  };
  const cluster: TestCluster = {
    processes,
    urls: ports.slice(0, 3).map((port) => `redis://127.0.0.1:${port}`),
    topology,
    process: (port) => processes.find((p) => p.port === port)!,
    healthy,
    waitHealthy: (deadlineMs = 30_000) => until(healthy, 'cluster_state:ok on every node', deadlineMs),
    waitReplicasInSync: () =>
      until(async () => {
        for (const node of await topology()) {
          if (node.role !== 'replica' || !cluster.process(node.port).running()) continue;
          const info = String(await redisCommand(node.port, ['INFO', 'replication']));
          if (!info.includes('master_link_status:up')) return false;
        }
        return true;
      }, 'replicas in sync'),
    async dispose() {
      for (const p of processes) await p.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
  await cluster.waitHealthy();
  // Every node must see every replica attached before a failover can happen.
  await until(async () => {
    const nodes = await topology();
    return nodes.filter((n) => n.role === 'replica' && n.masterPort).length === 3;
  }, 'replicas attached');
  await cluster.waitReplicasInSync();
  return cluster;
}
