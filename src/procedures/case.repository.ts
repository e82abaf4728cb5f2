import type { RedisConnection } from '../platform/redis.ts';
import { isCitizenRef, type CitizenRef } from '../citizen/reference.ts';
import type { CaseStatus, StepStatus } from './step-state.ts';

export interface StepState {
  status: StepStatus;
  /** ISO time of the last change. */
  at: string;
  /** Why the body rejected the step (shown to the citizen). */
  reason?: string;
}

/** A case without its personal data (which lives, encrypted, in a separate hash that is purged). */
export interface CaseRecord {
  id: string;
  procedureId: string;
  version: number;
  /** Reference (citizen-ref.ts) of the citizen who filed it (the parent, for the newborn bundle). */
  owner: string;
  createdAt: string;
  updatedAt: string;
  status: CaseStatus;
  /** Optimistic-concurrency revision: every update names the revision it was computed from. */
  rev: number;
  steps: Record<string, StepState>;
}

export interface HistoryEntry {
  at: string;
  step?: string;
  status: StepStatus | CaseStatus | 'dead-lettered' | 'purged';
  reason?: string;
}

export interface CaseUpdate {
  steps: Record<string, StepState>;
  status: CaseStatus;
  updatedAt: string;
  /** Encrypted fields to add to the personal data. */
  data?: Record<string, string>;
  history: HistoryEntry[];
  /** Purge the personal data: now (0) or after this many seconds; -1 keeps it. */
  purgeAfterSeconds: number;
}

/**
 * Applies an update only if the case is still at the revision it was computed from, all at once: the
 * case, its personal data, its history and, when finished, the purge of its personal data.
 */
const COMPARE_AND_UPDATE = `
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then return 0 end
local u = cjson.decode(ARGV[2])
for k, v in pairs(u.case) do redis.call('HSET', KEYS[1], k, v) end
for k, v in pairs(u.data) do redis.call('HSET', KEYS[2], k, v) end
for _, e in ipairs(u.history) do redis.call('RPUSH', KEYS[3], e) end
if u.purge == 0 then redis.call('DEL', KEYS[2]) elseif u.purge > 0 then redis.call('EXPIRE', KEYS[2], u.purge) end
redis.call('HSET', KEYS[1], 'rev', tostring(tonumber(ARGV[1]) + 1))
return 1
`;

const STEP_FIELD = 'step:';

/**
 * Cases in Redis. Keys (the case id in braces keeps a case's keys on one Cluster slot):
 *   proc:case:{<id>}           hash: procedureId, version, owner (citizen reference), createdAt, updatedAt,
 *                              status, rev, step:<id> (JSON)
 *   proc:case:{<id>}:data      hash: personal data, AES-256-GCM (form, out:<step>); deleted or expiring once finished
 *   proc:case:{<id>}:history   list of JSON entries (no personal data); stays
 *   proc:open                  sorted set of unfinished case ids by creation time (the recovery sweep's work list)
 *   proc:citizen:<ref>:cases   sorted set of the citizen's case ids by creation time
 * No key or value holds a fiscal code: a citizen is their reference (citizen-ref.ts).
 */
export function createCaseRepository(redis: RedisConnection, citizenRef: CitizenRef) {
  const { client, prefix } = redis;
  const caseKey = (id: string) => `${prefix}proc:case:{${id}}`;
  const dataKey = (id: string) => `${caseKey(id)}:data`;
  const historyKey = (id: string) => `${caseKey(id)}:history`;
  const openKey = `${prefix}proc:open`;
  const citizenKey = (ref: string) => `${prefix}proc:citizen:${ref}:cases`;

  function parse(id: string, stored: Record<string, string>): CaseRecord | undefined {
    if (!stored.procedureId || !stored.owner || !stored.rev) return undefined;
    const steps: Record<string, StepState> = {};
    for (const [field, value] of Object.entries(stored)) {
      if (field.startsWith(STEP_FIELD))
        steps[field.slice(STEP_FIELD.length)] = JSON.parse(value) as StepState;
    }
    return {
      id,
      procedureId: stored.procedureId,
      version: Number(stored.version),
      owner: stored.owner,
      createdAt: stored.createdAt ?? '',
      updatedAt: stored.updatedAt ?? '',
      status: (stored.status ?? 'open') as CaseStatus,
      rev: Number(stored.rev),
      steps,
    };
  }

  const stepFields = (steps: Record<string, StepState>) =>
    Object.fromEntries(
      Object.entries(steps).map(([id, state]) => [`${STEP_FIELD}${id}`, JSON.stringify(state)]),
    );

  return {
    /** The reference a citizen's cases are filed under (a case's `owner`). */
    ownerRef: citizenRef,

    /**
     * Records a new case. The id enters the open set first, so a case whose writing is cut short is
     * still found (and finished or dropped) by the recovery sweep; the rest is one transaction.
     */
    async create(record: CaseRecord, data: Record<string, string>, history: HistoryEntry[]): Promise<void> {
      if (!isCitizenRef(record.owner)) throw new Error('a case is owned by a citizen reference');
      await client.zAdd(openKey, { score: Date.parse(record.createdAt), value: record.id });
      await client
        .multi()
        .hSet(caseKey(record.id), {
          procedureId: record.procedureId,
          version: String(record.version),
          owner: record.owner,
          createdAt: record.createdAt,
          updatedAt: record.updatedAt,
          status: record.status,
          rev: String(record.rev),
          ...stepFields(record.steps),
        })
        .hSet(dataKey(record.id), data)
        .rPush(
          historyKey(record.id),
          history.map((entry) => JSON.stringify(entry)),
        )
        .exec();
      await client.zAdd(citizenKey(record.owner), { score: Date.parse(record.createdAt), value: record.id });
    },

    async get(id: string): Promise<CaseRecord | undefined> {
      return parse(id, await client.hGetAll(caseKey(id)));
    },

    /** The encrypted personal data of a case (empty once purged). */
    async data(id: string): Promise<Record<string, string>> {
      return client.hGetAll(dataKey(id));
    },

    async history(id: string): Promise<HistoryEntry[]> {
      return (await client.lRange(historyKey(id), 0, -1)).map((entry) => JSON.parse(entry) as HistoryEntry);
    },

    /** Applies `update` if the case is still at revision `rev`; false when someone else changed it first. */
    async update(id: string, rev: number, update: CaseUpdate): Promise<boolean> {
      const payload = JSON.stringify({
        case: { ...stepFields(update.steps), status: update.status, updatedAt: update.updatedAt },
        data: update.data ?? {},
        history: update.history.map((entry) => JSON.stringify(entry)),
        purge: update.purgeAfterSeconds,
      });
      const keys = [caseKey(id), dataKey(id), historyKey(id)];
      const applied = await redis.sendCommand(
        ['EVAL', COMPARE_AND_UPDATE, '3', ...keys, String(rev), payload],
        keys[0],
      );
      return applied === 1;
    },

    /** Ids of unfinished cases with the time they were created (milliseconds). */
    async listOpen(): Promise<Array<{ id: string; createdAt: number }>> {
      const entries = await client.zRangeWithScores(openKey, 0, -1);
      return entries.map((entry) => ({ id: entry.value, createdAt: entry.score }));
    },

    async closeOpen(id: string): Promise<void> {
      await client.zRem(openKey, id);
    },

    /** Adds to the history outside a case update (events of the delivery queue). */
    async appendHistory(id: string, entry: HistoryEntry): Promise<void> {
      await client.rPush(historyKey(id), JSON.stringify(entry));
    },

    /** Puts the case in its owner's list again (idempotent; the sweep repairs a cut-short creation). */
    async index(record: CaseRecord): Promise<void> {
      await client.zAdd(citizenKey(record.owner), { score: Date.parse(record.createdAt), value: record.id });
    },

    /** The citizen's case ids, newest first. */
    async listByCitizen(fiscalCode: string, limit = 50): Promise<string[]> {
      return client.zRange(citizenKey(citizenRef(fiscalCode)), 0, limit - 1, { REV: true });
    },
  };
}

export type CaseRepository = ReturnType<typeof createCaseRepository>;
