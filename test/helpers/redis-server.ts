import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { redisAnswers, sparePort } from '../../src/platform/embedded-redis.ts';

/**
 * A private redis-server for tests that must stop and restart Redis (never the shared one on 6379):
 * a spare loopback port, no persistence, a temporary working directory.
 */
export interface TestRedisServer {
  port: number;
  url: string;
  /** Starts (or restarts, on the same port) and waits until it answers PING. */
  start(): Promise<void>;
  /** Ends the process with `signal` and waits for its exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal without waiting (SIGSTOP freezes it: connections stay open, nothing answers). */
  signal(signal: NodeJS.Signals): void;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** `appendOnly`: persist every write to an append-only file (fsync always), so a restart keeps the data. */
export async function startTestRedisServer(options: { appendOnly?: boolean } = {}): Promise<TestRedisServer> {
  const port = await sparePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'varco-redis-'));
  let child: ChildProcess | undefined;

  const server: TestRedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
      const persistence = options.appendOnly
        ? ['--appendonly', 'yes', '--appendfsync', 'always']
        : ['--appendonly', 'no'];
      child = spawn('redis-server', [...args, '--save', '', ...persistence], { stdio: 'ignore' });
      const deadline = Date.now() + 10_000;
      while (!(await redisAnswers('127.0.0.1', port, 200))) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error('test redis-server did not start');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async kill(signal = 'SIGKILL') {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill(signal);
      await exited;
    },
    signal(signal) {
      child?.kill(signal);
    },
    async dispose() {
      if (child?.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
      await server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
