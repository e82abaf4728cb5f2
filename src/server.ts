import type { Server } from 'node:http';
import { ConfigError, loadConfig } from './config/load.ts';
import { answerClientErrors } from './platform/client-errors.ts';
import { RedisUnavailableError } from './platform/embedded-redis.ts';
import { createLogger, logDestination, type Logger } from './platform/logger.ts';
import { connectRedis, createRedisConnection } from './platform/redis.ts';
import { resolveRedis } from './platform/redis-setup.ts';
import { DefinitionError } from './procedures/definitions.ts';
import { ProcedureKeyError } from './procedures/keys.ts';
import { CitizenKeyError } from './citizen/secrets.ts';

/** True when `promise` settles within `ms` (its rejection is thrown), false when it takes longer. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stop accepting connections, let in-flight requests finish (bounded), then release everything else. */
function shutdownOnSignals(server: Server, logger: Logger, graceMs: number, release: () => Promise<void>) {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    logger.flush(); // the log is written in 4 kB writes (logDestination): this line goes out now
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    // close() stops accepting and drops idle keep-alive connections once; a connection whose request
    // finishes later would otherwise linger until its keep-alive timeout.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    force.unref();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearInterval(sweep);
    clearTimeout(force);
    // Releasing (workers, queues, Redis) gets the same bound: a Redis that is away or failing over must
    // not keep the process up (an orchestrator would kill it without its last log lines).
    if (!(await settlesWithin(release(), graceMs))) {
      logger.error({ graceMs }, 'shutdown: connections not closed in time; exiting anyway');
      logger.flush();
      process.exit(1);
    }
    logger.info('stopped');
    process.exitCode = 0;
    // Whatever still holds the event loop (a client's reconnection timer) is not waited for.
    setTimeout(() => process.exit(0), graceMs).unref();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stop(signal).catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
    });
  }
}

async function main() {
  const config = loadConfig();
  // Loaded once the configuration is known good, so a refused configuration is the only thing printed.
  const [{ createApp }, { buildGateway }] = await Promise.all([import('./app.ts'), import('./gateway.ts')]);
  const logger = createLogger(config.log.level, logDestination());
  const { config: redisConfig, embedded } = await resolveRedis(config.redis, logger);
  const redis = createRedisConnection(redisConfig, logger);
  await connectRedis(redis);
  const gateway = await buildGateway(config, logger, redis);
  const server = createApp(gateway).listen(config.http.port, config.http.host, () => {
    logger.info(
      { port: config.http.port, demo: config.demo, publicUrl: config.http.publicUrl },
      `Varco is listening on ${config.http.publicUrl}`,
    );
    logger.flush();
  });
  answerClientErrors(server);
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });
  shutdownOnSignals(server, logger, config.http.shutdownGraceMs, async () => {
    await gateway.close();
    await redis.close();
    logger.info('redis connection closed');
    await embedded?.stop();
  });
}

main().catch((error: unknown) => {
  // Before the logger exists (bad configuration, no Redis) the message goes straight to stderr; so do
  // refused procedure definitions and keys, which stop the start with the list of their problems.
  const known = [
    ConfigError,
    RedisUnavailableError,
    DefinitionError,
    ProcedureKeyError,
    CitizenKeyError,
  ].some((kind) => error instanceof kind);
  process.stderr.write(`${known ? (error as Error).message : String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
