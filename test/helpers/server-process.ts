import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { sparePort } from '../../src/platform/embedded-redis.ts';
import { TEST_ONLY_SESSION_SECRET, TEST_REDIS_URL } from './gateway.ts';

/** The real server as a child process (`node --import tsx src/server.ts`, or a built `dist/server.js`). */
export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  port: number;
  prefix: string;
  stdout(): string;
  stderr(): string;
  /** Parsed pino lines written so far. */
  logs(): Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once GET /health answers 200; rejects if the process exits first. */
  ready(deadlineMs?: number): Promise<void>;
}

/** The environment of a development-mode server on the test Redis, under its own key prefix. */
export async function serverEnvironment(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(await sparePort()),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `varco-test:${randomBytes(4).toString('hex')}:`,
    SESSION_SECRETS: TEST_ONLY_SESSION_SECRET,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export function spawnServer(
  env: NodeJS.ProcessEnv,
  args = ['--import', 'tsx', 'src/server.ts'],
): ServerProcess {
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = Number(env.PORT);
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    port,
    prefix: env.REDIS_PREFIX ?? '',
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    async ready(deadlineMs = 30_000) {
      const deadline = Date.now() + deadlineMs;
      let gone = false;
      void exited.then(() => (gone = true));
      while (Date.now() < deadline && !gone) {
        const ok = await fetch(`${url}/health`).then(
          (res) => res.ok,
          () => false,
        );
        if (ok) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`server did not become healthy:\n${err}${out.slice(-2000)}`);
    },
  };
}

/** Sends raw bytes and returns everything the server answers until it closes the connection. */
export function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(answer) : reject(error),
    );
    socket.once('close', () => resolve(answer));
  });
}
