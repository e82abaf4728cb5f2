import net from 'node:net';
import { expect } from 'chai';
import { createClient } from 'redis';
import { TEST_REDIS_URL } from '../helpers/gateway.ts';
import {
  rawExchange,
  serverEnvironment,
  spawnServer,
  type ServerProcess,
} from '../helpers/server-process.ts';

// Below the 5 s keep-alive timeout: a lingering idle connection would keep the process up that long.
const EXIT_DEADLINE_MS = 4_000;
const BODY = 'note=' + 'x'.repeat(35);

/** Opens a raw connection and sends a POST whose body is only partly written: a request in flight. */
async function startSlowPost(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let response = '';
  socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    'POST /logout HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n' +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${BODY.length}\r\n\r\n` +
      BODY.slice(0, 10),
  );
  return {
    finish: async () => {
      socket.write(BODY.slice(10));
      await closed;
      return response;
    },
  };
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function until(condition: () => boolean, deadlineMs = 5000) {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function deletePrefix(prefix: string) {
  const client = createClient({ url: TEST_REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
  await client.close();
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  describe(`graceful shutdown on ${signal} (the real server process)`, function () {
    this.timeout(60_000);
    let server: ServerProcess;

    before(async () => {
      server = spawnServer(await serverEnvironment());
      await server.ready();
    });
    after(async () => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await deletePrefix(server.prefix);
    });

    if (signal === 'SIGTERM') {
      it('answers requests the HTTP parser rejects with a plain status (headers too large: 431)', async () => {
        const huge = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`;
        expect(await rawExchange(server.port, huge)).to.match(/^HTTP\/1\.1 431 [^]*\r\n\r\n431 /);
      });
    }

    it('refuses new connections, finishes the request in flight, closes Redis and exits 0', async () => {
      const inFlight = await startSlowPost(server.port);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const signalledAt = Date.now();
      server.child.kill(signal);
      await until(() => server.logs().some((line) => line.msg === 'shutting down'));

      expect(await refusesConnections(server.port)).to.equal(true);
      expect(server.child.exitCode).to.equal(null); // still waiting for the request in flight

      const response = await inFlight.finish();
      // A complete answer (the form carried no CSRF token, so it is refused), not a dropped connection.
      expect(response).to.match(/^HTTP\/1\.1 403 /);
      expect(response).to.contain('</html>');

      const { code, signal: killedBy } = await server.exited;
      expect({ code, killedBy }).to.deep.equal({ code: 0, killedBy: null });
      expect(Date.now() - signalledAt).to.be.below(EXIT_DEADLINE_MS);
      const messages = server.logs().map((line) => line.msg);
      expect(messages).to.include.members(['shutting down', 'redis connection closed', 'stopped']);
      expect(messages.indexOf('redis connection closed')).to.be.above(messages.indexOf('shutting down'));
      // Nothing went wrong on the way out (oidc-provider's "unsupported runtime" notice on Node 20 aside).
      expect(server.stderr()).not.to.match(/error|\n\s+at /i);
      expect(server.logs().filter((line) => Number(line.level) >= 50)).to.deep.equal([]);
    });
  });
}
