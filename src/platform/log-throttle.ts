import type { Logger } from './logger.ts';

type Level = 'error' | 'warn';

/**
 * Logs a repeating failure once per `intervalMs` per key, with how often it happened in between
 * (`repeated`): while Redis refuses writes or is away, idle workers and probes fail many times a second,
 * and a line (with a stack) for each would bury everything else. The first occurrence of a key is
 * written at once; later ones are counted and summed up in the first line after the interval.
 */
export function createLogThrottle(logger: Logger, intervalMs = 60_000) {
  const seen = new Map<string, { loggedAt: number; repeated: number }>();
  return {
    log(level: Level, key: string, fields: Record<string, unknown>, message: string): void {
      const now = Date.now();
      const entry = seen.get(key);
      if (entry && now - entry.loggedAt < intervalMs) {
        entry.repeated += 1;
        return;
      }
      logger[level]({ ...fields, ...(entry?.repeated ? { repeated: entry.repeated } : {}) }, message);
      seen.set(key, { loggedAt: now, repeated: 0 });
    },
    /** Forgets a key (its failure is over): the next occurrence is logged at once. */
    clear(key?: string): void {
      if (key === undefined) seen.clear();
      else seen.delete(key);
    },
  };
}

export type LogThrottle = ReturnType<typeof createLogThrottle>;

/** A key for an error: its type and the first word of its message (a Redis error code such as OOM). */
export function errorKey(scope: string, error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const word = error instanceof Error ? (error.message.split(' ', 1)[0] ?? '') : '';
  return `${scope}:${name}:${word}`;
}
