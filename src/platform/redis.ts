import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
  createCluster,
  createSentinel,
  DisconnectsClientError,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
} from 'redis';
import type { RedisConfig } from '../config/schema.ts';
import type { Logger } from './logger.ts';

interface SocketOptions {
  connectTimeout: number;
  reconnectStrategy: (retries: number) => number;
}

// Each client is built by one small function so that its precise type can be named below.
// The single-server client has no per-command timeout (node-redis's default gives every command an
// AbortSignal.timeout, ~12 µs of CPU each, several per page): `watchForStalls` bounds the wait instead.
const single = (url: string | undefined, socket: SocketOptions) =>
  createClient({ url, socket, disableOfflineQueue: true, commandOptions: { timeout: 0 } });
const cluster = (nodes: string[], socket: SocketOptions) =>
  createCluster({
    rootNodes: nodes.map((url) => ({ url })),
    defaults: { socket, disableOfflineQueue: true },
  });
const sentinel = (sentinel: NonNullable<RedisConfig['sentinel']>, socket: SocketOptions) =>
  createSentinel({
    name: sentinel.name,
    sentinelRootNodes: sentinel.nodes,
    nodeClientOptions: { socket, disableOfflineQueue: true, password: sentinel.password },
    sentinelClientOptions: { socket },
  });

export type SingleClient = ReturnType<typeof single>;
type ClusterClient = ReturnType<typeof cluster>;
type SentinelClient = ReturnType<typeof sentinel>;

/** The one Redis connection type application code uses: a single server, Sentinel or Cluster. */
export type RedisClient = SingleClient | ClusterClient | SentinelClient;

export interface RedisConnection {
  client: RedisClient;
  /** Every key the gateway writes starts with this. */
  prefix: string;
  /** True while commands can be sent; false while the connection is down and being retried. */
  isUp(): boolean;
  /** Round trip to Redis, bounded by `timeoutMs`; false when it fails or takes longer. */
  ping(timeoutMs?: number): Promise<boolean>;
  /**
   * Sends a raw command (for libraries that speak in argument arrays, such as rate-limit-redis);
   * `firstKey` routes it to the right node of a Cluster.
   */
  sendCommand(args: string[], firstKey?: string): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Exponential back-off with jitter, capped: the client never gives up, so the gateway recovers by itself
 * when Redis returns.
 */
export function reconnectDelay(retries: number, maxDelayMs: number): number {
  const exponential = Math.min(maxDelayMs, 50 * 2 ** Math.min(retries, 16));
  return Math.round(exponential / 2 + Math.random() * (exponential / 2));
}

export function createRedisConnection(config: RedisConfig, logger: Logger): RedisConnection {
  // disableOfflineQueue (above): while disconnected a command fails at once, so a request gets a 503 now
  // rather than hanging until Redis returns.
  const socket: SocketOptions = {
    connectTimeout: config.connectTimeoutMs,
    reconnectStrategy: (retries) => reconnectDelay(retries, config.maxReconnectDelayMs),
  };
  let client: RedisClient;
  let send: RedisConnection['sendCommand'];
  let stopWatching = () => {};
  if (config.cluster) {
    const c = cluster(config.cluster.nodes, socket);
    send = (args, firstKey) => c.sendCommand(firstKey, false, args);
    client = c;
  } else if (config.sentinel) {
    const c = sentinel(config.sentinel, socket);
    send = (args) => c.sendCommand(false, args);
    client = c;
  } else {
    const c = single(config.url, socket);
    send = (args) => c.sendCommand(args);
    client = c;
    stopWatching = watchForStalls(c, config.commandTimeoutMs, logger);
  }

  let reported = false;
  client.on('error', (error: Error) => {
    // Reconnection is automatic; log the first failure of each outage, not every retry.
    if (!reported) logger.error({ err: error }, 'redis connection lost; retrying');
    reported = true;
  });
  client.on('ready', () => {
    if (reported) logger.info('redis connection restored');
    reported = false;
  });

  return {
    client,
    prefix: config.prefix,
    isUp: () => client.isReady,
    sendCommand: send,
    async ping(timeoutMs = 1000) {
      if (!client.isReady) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([send(['PING']).then((reply) => reply === 'PONG'), timeout]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      stopWatching();
      if (client.isOpen) await client.close();
    },
  };
}

/**
 * Redis answers the commands of one connection in the order they were sent. So when a PING sent on an
 * open, ready connection is still unanswered after `stallMs`, so is every command sent before it: the
 * server is frozen or the network lost. Then the connection is dropped, which fails every pending
 * command at once (their requests answer 503), and made again; until Redis answers, pages answer 503 at
 * once (the client is not ready) rather than hang. One probe in flight at a time, a check every
 * `stallMs / 5`: the whole cost of bounding every command's wait. It relies on no blocking command
 * (BLPOP, XREAD BLOCK…) being sent on this connection; BullMQ has connections of its own.
 */
export function watchForStalls(client: SingleClient, stallMs: number, logger: Logger): () => void {
  let probeSentAt: number | undefined;
  let reconnecting = false;
  const check = () => {
    if (reconnecting || !client.isReady) {
      probeSentAt = undefined;
      return;
    }
    if (probeSentAt === undefined) {
      const sentAt = Date.now();
      probeSentAt = sentAt;
      const answered = () => {
        if (probeSentAt === sentAt) probeSentAt = undefined;
      };
      client.sendCommand(['PING']).then(answered, answered);
      return;
    }
    if (Date.now() - probeSentAt < stallMs) return;
    logger.error({ stallMs }, 'redis stopped answering; dropping the connection and connecting again');
    reconnecting = true;
    probeSentAt = undefined;
    client.destroy();
    client
      .connect()
      .catch((error: unknown) => logger.error({ err: error }, 'redis reconnection failed'))
      .finally(() => {
        reconnecting = false;
      });
  };
  const timer = setInterval(check, Math.max(20, Math.floor(stallMs / 5)));
  timer.unref();
  return () => clearInterval(timer);
}

/** Opens the connection, waiting for the first successful connect (later drops are retried in the background). */
export async function connectRedis(connection: RedisConnection): Promise<void> {
  await connection.client.connect();
}

const CONNECTION_ERRORS = [
  ClientClosedError,
  DisconnectsClientError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
];

/** True for the errors a command fails with when Redis cannot be reached (as opposed to a command error). */
export function isRedisConnectionError(error: unknown): boolean {
  return CONNECTION_ERRORS.some((type) => error instanceof type);
}
