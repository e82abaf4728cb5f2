import { isCitizenRef, type CitizenRef } from './citizen-ref.ts';
import type { RedisConnection } from './redis.ts';
import { scanKeys } from './scan-keys.ts';

/** A per-citizen key without the prefix: citizen:{<citizen>}:<what>. */
const CITIZEN_KEY = /^citizen:\{([^{}]+)\}:(.+)$/;

/** Raises a key's expiry to ARGV[1] ms when it has a shorter one (or none, having just been created). */
const KEEP_EXPIRY = `local t = redis.call('PTTL', KEYS[1])
if t == -1 or (t >= 0 and t < tonumber(ARGV[1])) then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0`;
/** HSETNX of every field/value pair: what the new key already holds wins. */
const HASH_SET_MISSING = `for i = 1, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end return 1`;
/** Deletes the field/value pairs that still hold the value that was read. */
const HASH_DELETE_UNCHANGED = `local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then n = n + redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return n`;
/** Appends to the list the entries it does not hold yet, then keeps the first ARGV[1]. */
const LIST_APPEND_MISSING = `local held = {}
for _, v in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do held[v] = true end
for i = 2, #ARGV do if not held[ARGV[i]] then redis.call('RPUSH', KEYS[1], ARGV[i]) end end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
return 1`;
/** Deletes a list still as long as it was, with the same newest entry (older writers push in front). */
const LIST_DELETE_UNCHANGED = `if redis.call('LLEN', KEYS[1]) == tonumber(ARGV[1]) and redis.call('LINDEX', KEYS[1], 0) == ARGV[2]
then return redis.call('DEL', KEYS[1]) end return 0`;
/** Deletes a key only if it still holds the value that was read. */
const DELETE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Moves one kind of key of one citizen from the fiscal-code layout; true when something moved. */
export type LegacyMover = (fiscalCode: string) => Promise<boolean>;

/**
 * A citizen's keys in every module: `citizen:{<ref>}:<what>`, where <ref> is their reference
 * (citizen-ref.ts), never the fiscal code; the braces are a Cluster hash tag, so one citizen's keys share
 * a slot. Before references the braces held the fiscal code; `move*` carry such a legacy key over to
 * the reference, each the same way: read it, write the new key (merging with what it already holds,
 * keeping the longer expiry), then remove from the legacy key exactly what was read, and only if still
 * there. So a move is idempotent, several instances may run it at once, and a crash between two commands
 * loses nothing (the next run finishes it). The two keys sit in two slots: no single command can span them.
 */
export function createCitizenKeys(redis: RedisConnection, citizenRef: CitizenRef) {
  const { client, prefix } = redis;
  const key = (fiscalCode: string, what: string) => `${prefix}citizen:{${citizenRef(fiscalCode)}}:${what}`;
  const legacyKey = (fiscalCode: string, what: string) => `${prefix}citizen:{${fiscalCode}}:${what}`;
  const evaluate = (script: string, name: string, args: Array<string | number>) =>
    redis.sendCommand(['EVAL', script, '1', name, ...args.map(String)], name);
  const keepExpiry = async (name: string, ttl: number) => {
    if (ttl > 0) await evaluate(KEEP_EXPIRY, name, [ttl]);
  };

  return {
    /** The key of `what` for the citizen with this fiscal code. */
    key,
    legacyKey,

    /** A set: members added, then removed from the legacy set. */
    async moveSet(fiscalCode: string, what: string): Promise<boolean> {
      const legacy = legacyKey(fiscalCode, what);
      const [members, ttl] = await Promise.all([client.sMembers(legacy), client.pTTL(legacy)]);
      if (members.length === 0) return false;
      const target = key(fiscalCode, what);
      await client.sAdd(target, members);
      await keepExpiry(target, ttl);
      await client.sRem(legacy, members);
      return true;
    },

    /** A sorted set: members added with the higher score (GT), the newest `keep` kept, then removed. */
    async moveSortedSet(fiscalCode: string, what: string, keep?: number): Promise<boolean> {
      const legacy = legacyKey(fiscalCode, what);
      const [entries, ttl] = await Promise.all([client.zRangeWithScores(legacy, 0, -1), client.pTTL(legacy)]);
      if (entries.length === 0) return false;
      const target = key(fiscalCode, what);
      await client.zAdd(target, entries, { comparison: 'GT' });
      if (keep) await client.zRemRangeByRank(target, 0, -(keep + 1));
      await keepExpiry(target, ttl);
      await client.zRem(
        legacy,
        entries.map((entry) => entry.value),
      );
      return true;
    },

    /** A hash: fields the new hash lacks added (it wins where both have one), then removed if unchanged. */
    async moveHash(fiscalCode: string, what: string): Promise<boolean> {
      const legacy = legacyKey(fiscalCode, what);
      const [fields, ttl] = await Promise.all([client.hGetAll(legacy), client.pTTL(legacy)]);
      const pairs = Object.entries(fields).flat();
      if (pairs.length === 0) return false;
      const target = key(fiscalCode, what);
      await evaluate(HASH_SET_MISSING, target, pairs);
      await keepExpiry(target, ttl);
      await evaluate(HASH_DELETE_UNCHANGED, legacy, pairs);
      return true;
    },

    /**
     * A list kept newest first and capped at `length`: the legacy entries (older) go after the new
     * list's, those it already holds skipped; the legacy list goes if no entry was pushed meanwhile.
     */
    async moveList(fiscalCode: string, what: string, length: number): Promise<boolean> {
      const legacy = legacyKey(fiscalCode, what);
      const [entries, ttl] = await Promise.all([client.lRange(legacy, 0, -1), client.pTTL(legacy)]);
      if (entries.length === 0) return false;
      const target = key(fiscalCode, what);
      await evaluate(LIST_APPEND_MISSING, target, [length, ...entries]);
      await keepExpiry(target, ttl);
      await evaluate(LIST_DELETE_UNCHANGED, legacy, [entries.length, entries[0] ?? '']);
      return true;
    },

    /**
     * A string: written (through `convert`, e.g. to encrypt it) with its expiry unless the new key
     * exists, then the legacy key deleted if unchanged.
     */
    async moveString(
      fiscalCode: string,
      what: string,
      convert: (value: string) => string = (value) => value,
    ): Promise<boolean> {
      const legacy = legacyKey(fiscalCode, what);
      const [value, ttl] = await Promise.all([client.get(legacy), client.pTTL(legacy)]);
      if (value === null) return false;
      const target = key(fiscalCode, what);
      await client.set(target, convert(value), ttl > 0 ? { NX: true, PX: ttl } : { NX: true });
      await evaluate(DELETE_IF, legacy, [value]);
      return true;
    },
  };
}

export type CitizenKeys = ReturnType<typeof createCitizenKeys>;

/**
 * Moves every per-citizen key still named after a fiscal code (`citizen:{<cf>}:<what>`) to the citizen's
 * reference, with the mover registered for <what> (keys of no registered kind are left alone). Run at
 * start, before the app serves, by every instance (each move is idempotent and crash-safe: see
 * createCitizenKeys). Returns counts by kind only: the keys name citizens.
 */
export async function migrateCitizenKeys(
  redis: RedisConnection,
  movers: Readonly<Record<string, LegacyMover>>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for await (const names of scanKeys(redis, 'citizen:{*}:*')) {
    await Promise.all(
      names.map(async (name) => {
        const [, fiscalCode, what] = CITIZEN_KEY.exec(name) ?? [];
        const move = what !== undefined && Object.hasOwn(movers, what) ? movers[what] : undefined;
        if (!fiscalCode || isCitizenRef(fiscalCode) || !what || !move) return;
        if (await move(fiscalCode)) counts[what] = (counts[what] ?? 0) + 1;
      }),
    );
  }
  return counts;
}

/**
 * Moves one citizen's keys still named after their fiscal code, of every registered kind: at login, for
 * what an instance of the earlier version wrote after this one's start migration (a rolling upgrade).
 * Costs one round trip when there is nothing to move (the movers read in parallel).
 */
export async function adoptCitizenKeys(
  movers: Readonly<Record<string, LegacyMover>>,
  fiscalCode: string,
): Promise<void> {
  await Promise.all(Object.values(movers).map((move) => move(fiscalCode)));
}
