import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
  createCluster,
  createSentinel,
  DisconnectsClientError,
  ErrorReply,
  MaxCommandRedirectionsError,
  MultiErrorReply,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
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
// Sentinel and Cluster bound every command's wait (`commandTimeoutMs`): through a failover a command
// waits for the new master (the Sentinel client queues it until the promotion, the Cluster client
// retries redirections), which can take as long as the detection time.
const cluster = (nodes: string[], socket: SocketOptions, timeout: number) =>
  createCluster({
    rootNodes: nodes.map((url) => ({ url })),
    defaults: { socket, disableOfflineQueue: true },
    commandOptions: { timeout },
    // A master lost: its slots are served again once the client learns who replaced it. Asked again
    // after a command timeout of reconnecting, rather than node-redis's default 5 s.
    topologyRefreshOnReconnectionAttemptStrategy: timeout,
  });
const sentinel = (sentinel: NonNullable<RedisConfig['sentinel']>, socket: SocketOptions, timeout: number) =>
  createSentinel({
    name: sentinel.name,
    sentinelRootNodes: sentinel.nodes,
    nodeClientOptions: { socket, disableOfflineQueue: true, password: sentinel.password },
    sentinelClientOptions: { socket },
    commandOptions: { timeout },
    // How often the sentinels are asked who the master is: a promotion is noticed within this.
    scanInterval: timeout,
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
  /**
   * Whether Redis serves now, bounded by `timeoutMs`: a write of a key of its own (a full Redis, a
   * replica, a cluster that lost a master answer PING but refuse writes); false when it fails or
   * takes longer.
   */
  ping(timeoutMs?: number): Promise<boolean>;
  /**
   * Whether Redis answered a probe sent at or after `since` (a `Date.now()` time): false means it has
   * been silent since then (src/platform/redis-deadline.ts answers the requests waiting on it). Always
   * true on a Cluster, which has no stall watch (docs/operations.md, "When Redis fails").
   */
  answeredSince(since: number): boolean;
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
  let watch: StallWatch = { stop: () => {}, answeredSince: () => true };
  if (config.cluster) {
    const c = cluster(config.cluster.nodes, socket, config.commandTimeoutMs);
    send = (args, firstKey) => c.sendCommand(firstKey, false, args);
    client = c;
  } else if (config.sentinel) {
    const c = sentinel(config.sentinel, socket, config.commandTimeoutMs);
    send = (args) => c.sendCommand(false, args);
    client = c;
    watch = watchForStalls(c, () => send(['PING']), config.commandTimeoutMs, logger);
  } else {
    const c = single(config.url, socket);
    send = (args) => c.sendCommand(args);
    client = c;
    watch = watchForStalls(c, () => send(['PING']), config.commandTimeoutMs, logger);
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
    answeredSince: watch.answeredSince,
    sendCommand: send,
    async ping(timeoutMs = 1000) {
      if (!client.isReady) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        const key = `${config.prefix}ready`;
        const written = send(['SET', key, String(Date.now()), 'PX', '60000'], key);
        return await Promise.race([written.then((reply) => reply === 'OK'), timeout]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    /** Lets pending commands finish for up to `commandTimeoutMs`, then drops the connections. */
    async close() {
      watch.stop();
      if (!client.isOpen) return;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), config.commandTimeoutMs);
      });
      const closed = await Promise.race([
        client.close().then(
          () => true,
          () => true,
        ),
        late,
      ]);
      clearTimeout(timer);
      if (!closed) await client.destroy();
    },
  };
}

/** What the stall watch needs of a client: the single-server and the Sentinel client both offer it. */
interface Restartable {
  readonly isReady: boolean;
  /** Drops the connection, failing every pending command at once. */
  destroy(): unknown;
  connect(): Promise<unknown>;
}

export interface StallWatch {
  stop(): void;
  /** Whether a probe sent at or after `since` was answered. */
  answeredSince(since: number): boolean;
}

/**
 * Redis answers the commands of one connection in the order they were sent. So when a PING sent on an
 * open, ready connection is still unanswered after `stallMs`, so is every command sent before it: the
 * server is frozen, the network lost, or (Sentinel) the master died and the client holds every command
 * until the sentinels promote a replica, however long their detection takes. Then the client is
 * destroyed, which fails every pending command of a single server at once (their requests answer 503),
 * and connected again (Sentinel: asking the sentinels for the master anew); until Redis answers, pages
 * answer 503 at once (the client is not ready) rather than hang. The Sentinel client keeps the commands
 * it was holding, and sends them again to the new master: their requests get their 503 from
 * redis-deadline.ts, through `answeredSince`. One probe in flight at a time, a check every `stallMs / 5`:
 * the whole cost of bounding every command's wait. It relies on no blocking command (BLPOP, XREAD
 * BLOCK…) being sent on this connection; BullMQ has connections of its own.
 */
export function watchForStalls(
  client: Restartable,
  ping: () => Promise<unknown>,
  stallMs: number,
  logger: Logger,
  retryMs = 200,
): StallWatch {
  let probeSentAt: number | undefined;
  // When the last probe that Redis answered was sent; -Infinity until one is.
  let answeredSentAt = Number.NEGATIVE_INFINITY;
  let reconnecting = false;
  let stopped = false;
  const reconnect = async () => {
    await client.destroy();
    // A Sentinel client's connect fails while the sentinels still name the dead master: try again.
    while (!stopped) {
      try {
        await client.connect();
        return;
      } catch (error) {
        logger.warn({ err: error }, 'redis reconnection failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  };
  const check = () => {
    if (reconnecting || !client.isReady) {
      probeSentAt = undefined;
      return;
    }
    if (probeSentAt === undefined) {
      const sentAt = Date.now();
      probeSentAt = sentAt;
      const settled = () => {
        if (probeSentAt === sentAt) probeSentAt = undefined;
      };
      ping().then(() => {
        answeredSentAt = Math.max(answeredSentAt, sentAt);
        settled();
      }, settled);
      return;
    }
    if (Date.now() - probeSentAt < stallMs) return;
    logger.error({ stallMs }, 'redis stopped answering; dropping the connection and connecting again');
    reconnecting = true;
    probeSentAt = undefined;
    reconnect()
      .catch((error: unknown) => logger.error({ err: error }, 'redis reconnection failed'))
      .finally(() => {
        reconnecting = false;
      });
  };
  const timer = setInterval(check, Math.max(20, Math.floor(stallMs / 5)));
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    answeredSince: (since) => answeredSentAt >= since,
  };
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
  TimeoutError,
  MaxCommandRedirectionsError,
];

/**
 * Error replies that mean "Redis cannot serve this now", not "this command is wrong": a failover or a
 * lost master (READONLY, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, UNBLOCKED, NOREPLICAS), a server still
 * loading its data (LOADING), a full memory under `noeviction` (OOM), a script running too long (BUSY), a
 * failed disk (MISCONF). See https://redis.io/docs/latest/develop/reference/protocol-spec/#simple-errors.
 */
const UNAVAILABLE_REPLIES = new Set([
  'LOADING',
  'READONLY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'UNBLOCKED',
  'NOREPLICAS',
  'OOM',
  'BUSY',
  'MISCONF',
]);

const SOCKET_FAILURES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function isSocketError(error: Error): boolean {
  const { code, syscall } = error as NodeJS.ErrnoException;
  return typeof syscall === 'string' && code !== undefined && SOCKET_FAILURES.has(code);
}

/** True when `message` is one of Redis's error replies listed above (the first word is the error code). */
export function isUnavailableReply(message: string): boolean {
  return UNAVAILABLE_REPLIES.has(message.split(' ', 1)[0] ?? '');
}

/**
 * True for the errors a command fails with when Redis cannot serve it now: the connection is lost or
 * the command timed out, or Redis replied with one of the errors above (also inside a transaction's
 * replies, or as the cause of a library's error). Such a failure is a 503, not a bug.
 */
export function isRedisUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  if (CONNECTION_ERRORS.some((type) => error instanceof type)) return true;
  // The Cluster client fails the commands pending on a node that died with the socket's own error.
  // Only as thrown (depth 0): an outbound request's failure reaches us wrapped, and is not Redis.
  if (depth === 0 && isSocketError(error)) return true;
  if (error instanceof MultiErrorReply && [...error.errors()].some((reply) => isRedisUnavailable(reply)))
    return true;
  if (error instanceof ErrorReply && isUnavailableReply(error.message)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isRedisUnavailable(e, depth + 1)))
    return true;
  return isRedisUnavailable(error.cause, depth + 1);
}
