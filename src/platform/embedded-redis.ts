import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from './logger.ts';

/** Raised when no Redis can be found or started; its message tells the operator what to do. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

export interface EmbeddedRedis {
  url: string;
  stop(): Promise<void>;
}

/** True when a Redis server answers PING at host:port within timeoutMs. */
export function redisAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new RedisUnavailableError(`redis-server exited with ${child.exitCode}`);
    if (await redisAnswers('127.0.0.1', port, 200)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new RedisUnavailableError('redis-server did not start within ' + deadlineMs + ' ms');
}

const INSTALL_HINT =
  'Varco needs Redis. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) ' +
  'so the gateway can start its own, or point REDIS_URL at a running server (e.g. REDIS_URL=redis://127.0.0.1:6379).';

/**
 * Starts a private redis-server on a spare loopback port with AOF persistence under `dir`,
 * for the demo when no Redis is configured or running. Stopped (and its AOF flushed) by stop().
 */
export async function startEmbeddedRedis(
  binary: string,
  dir: string,
  logger: Logger,
): Promise<EmbeddedRedis> {
  const dataDir = path.resolve(dir);
  mkdirSync(dataDir, { recursive: true });
  const port = await sparePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes'];
  const child = spawn(binary, [...args, '--save', '', '--daemonize', 'no'], { stdio: 'ignore' });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new RedisUnavailableError(error.code === 'ENOENT' ? INSTALL_HINT : error.message)),
    ),
  );
  await Promise.race([waitUntilAnswering(port, child, 10_000), spawnError]);
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  logger.info({ port, dir: dataDir }, 'started a private redis-server (AOF persistence)');
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export { INSTALL_HINT };
