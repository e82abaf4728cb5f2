import type { RedisConnection } from '../platform/redis.ts';
import { endpointSchema, type Endpoint } from './endpoint.ts';
import { bodySchema, serviceSchema, type Body, type Service } from './model.ts';

export type RecordKind = 'body' | 'service' | 'endpoint';

/** One change as the change log records it: which record, and the catalog version it produced. */
export interface CatalogChange {
  version: number;
  kind: RecordKind;
  /** IPA code, service id, or `<ipa>/<endpoint id>`. */
  id: string;
}

/** One audit record: who changed what, when, and how (field → [before, after]). */
export interface AuditRecord {
  at: string;
  actor: string;
  action: string;
  kind: RecordKind;
  id: string;
  changes: Record<string, [unknown, unknown]>;
}

const MGET_CHUNK = 1000;

/**
 * KEYS: record, id set, version, change log, audit.
 * ARGV: json, id, kind, log length, at, actor, action, diff, member of the id set.
 */
const SAVE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[9])
local version = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'version', version, 'kind', ARGV[3], 'id', ARGV[2])
redis.call('XADD', KEYS[5], '*', 'at', ARGV[5], 'actor', ARGV[6], 'action', ARGV[7], 'kind', ARGV[3], 'id', ARGV[2], 'changes', ARGV[8])
return version
`;
/** Entries kept in the change log; an instance further behind than this rebuilds its index. */
const CHANGE_LOG_LENGTH = 10_000;

/**
 * Owns the catalog's Redis keys. Every key shares the hash tag `{catalog}`, so a Redis Cluster keeps
 * them in one slot and a change (record + version + change log + audit) is one MULTI/EXEC:
 *   catalog:{catalog}:body:<ipa>       JSON of a Body
 *   catalog:{catalog}:bodies           set of IPA codes
 *   catalog:{catalog}:service:<id>     JSON of a Service
 *   catalog:{catalog}:services         set of service ids
 *   catalog:{catalog}:endpoint:<ipa>:<id>  JSON of an Endpoint
 *   catalog:{catalog}:endpoints:<ipa>  set of the body's endpoint ids
 *   catalog:{catalog}:version          counter, +1 per change
 *   catalog:{catalog}:changes          stream: version, kind, id (capped)
 *   registry:{catalog}:audit           stream: the audit trail (who, when, what changed)
 */
export function createCatalogRepository(redis: RedisConnection) {
  const { client } = redis;
  const base = `${redis.prefix}catalog:{catalog}:`;
  const keys = {
    body: (ipa: string) => `${base}body:${ipa}`,
    bodies: `${base}bodies`,
    service: (id: string) => `${base}service:${id}`,
    services: `${base}services`,
    endpoint: (ipa: string, id: string) => `${base}endpoint:${ipa}:${id}`,
    endpoints: (ipa: string) => `${base}endpoints:${ipa}`,
    version: `${base}version`,
    changes: `${base}changes`,
    audit: `${redis.prefix}registry:{catalog}:audit`,
  };

  async function readMany<T>(ids: string[], key: (id: string) => string, parse: (raw: unknown) => T) {
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += MGET_CHUNK) {
      const raws = await client.mGet(ids.slice(i, i + MGET_CHUNK).map(key));
      for (const raw of raws) if (raw) out.push(parse(JSON.parse(raw)));
    }
    return out;
  }

  const parseBody = (raw: unknown) => bodySchema.parse(raw);
  const parseService = (raw: unknown) => serviceSchema.parse(raw);
  const parseEndpoint = (raw: unknown) => endpointSchema.parse(raw);

  /** Where a record lives: its key, the id set it belongs to, its member there, and its change-log id. */
  function placeOf(kind: RecordKind, record: Body | Service | Endpoint) {
    if (kind === 'body') {
      const { ipaCode } = record as Body;
      return { key: keys.body(ipaCode), set: keys.bodies, member: ipaCode, id: ipaCode };
    }
    if (kind === 'service') {
      const { id } = record as Service;
      return { key: keys.service(id), set: keys.services, member: id, id };
    }
    const { bodyIpa, id } = record as Endpoint;
    return {
      key: keys.endpoint(bodyIpa, id),
      set: keys.endpoints(bodyIpa),
      member: id,
      id: `${bodyIpa}/${id}`,
    };
  }

  return {
    keys,

    async getBody(ipa: string): Promise<Body | undefined> {
      const raw = await client.get(keys.body(ipa));
      return raw ? parseBody(JSON.parse(raw)) : undefined;
    },

    async getService(id: string): Promise<Service | undefined> {
      const raw = await client.get(keys.service(id));
      return raw ? parseService(JSON.parse(raw)) : undefined;
    },

    async getServices(ids: string[]): Promise<Service[]> {
      return readMany(ids, keys.service, parseService);
    },

    async getEndpoint(bodyIpa: string, id: string): Promise<Endpoint | undefined> {
      const raw = await client.get(keys.endpoint(bodyIpa, id));
      return raw ? parseEndpoint(JSON.parse(raw)) : undefined;
    },

    /** A body's endpoints, by id. */
    async listEndpoints(bodyIpa: string): Promise<Endpoint[]> {
      const ids = (await client.sMembers(keys.endpoints(bodyIpa))).sort();
      return readMany(ids, (id) => keys.endpoint(bodyIpa, id), parseEndpoint);
    },

    async listBodies(): Promise<Body[]> {
      const ids = (await client.sMembers(keys.bodies)).sort();
      return readMany(ids, keys.body, parseBody);
    },

    /**
     * Every service, for the index rebuild. Records are not re-validated here: only the writer stores
     * them, after validation, and parsing 100,000 records again would dominate the rebuild time.
     */
    async listServices(): Promise<Service[]> {
      const ids = (await client.sMembers(keys.services)).sort();
      return readMany(ids, keys.service, (raw) => raw as Service);
    },

    async version(): Promise<number> {
      return Number((await client.get(keys.version)) ?? 0);
    },

    /** Changes after `afterVersion`, oldest first (empty when none). */
    async changesSince(afterVersion: number): Promise<CatalogChange[]> {
      const entries = await client.xRevRange(keys.changes, '+', '-', { COUNT: CHANGE_LOG_LENGTH });
      const changes: CatalogChange[] = [];
      for (const entry of entries ?? []) {
        const version = Number(entry.message.version);
        if (version <= afterVersion) break;
        changes.push({
          version,
          kind: entry.message.kind as CatalogChange['kind'],
          id: String(entry.message.id),
        });
      }
      return changes.reverse();
    },

    /**
     * Stores a record, bumps the version, logs the change and the audit record in one Lua script, so
     * versions and change-log entries are in the same order and no instance ever sees one without the other.
     */
    async save(kind: RecordKind, record: Body | Service | Endpoint, audit: AuditRecord): Promise<number> {
      const { key: recordKey, set: setKey, member, id } = placeOf(kind, record);
      const reply = await redis.sendCommand(
        [
          'EVAL',
          SAVE_SCRIPT,
          '5',
          recordKey,
          setKey,
          keys.version,
          keys.changes,
          keys.audit,
          JSON.stringify(record),
          id,
          kind,
          String(CHANGE_LOG_LENGTH),
          audit.at,
          audit.actor,
          audit.action,
          JSON.stringify(audit.changes),
          member,
        ],
        recordKey,
      );
      return Number(reply);
    },

    /** The audit trail of one record, newest first. */
    async auditOf(kind: RecordKind, id: string, count = 100): Promise<AuditRecord[]> {
      const entries = await client.xRevRange(keys.audit, '+', '-', { COUNT: 10_000 });
      const out: AuditRecord[] = [];
      for (const entry of entries ?? []) {
        const m = entry.message;
        if (m.kind !== kind || m.id !== id) continue;
        out.push({
          at: String(m.at),
          actor: String(m.actor),
          action: String(m.action),
          kind,
          id,
          changes: JSON.parse(String(m.changes)) as AuditRecord['changes'],
        });
        if (out.length >= count) break;
      }
      return out;
    },
  };
}

export type CatalogRepository = ReturnType<typeof createCatalogRepository>;
