import { randomUUID } from 'node:crypto';
import { ForbiddenError } from '../platform/errors.ts';
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
/** Commands sent at once when reading many bodies (each its own slot on a Cluster). */
const PARALLEL_READS = 200;

/**
 * Network slot, before a body's keys are written: the body joins the set of bodies, a new service id
 * is claimed for its body (refused, 0, when another body holds it), and the body is marked unsettled
 * at the server's time, so the sweep knows where a write may have stopped halfway.
 * KEYS: bodies, service owners, unsettled. ARGV: kind, ipa, service id.
 */
const INTENT_SCRIPT = `
if ARGV[1] == 'body' then redis.call('SADD', KEYS[1], ARGV[2]) end
if ARGV[1] == 'service' then
  local owner = redis.call('HGET', KEYS[2], ARGV[3])
  if owner and owner ~= ARGV[2] then return 0 end
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[2])
end
local now = redis.call('TIME')
redis.call('ZADD', KEYS[3], now[1] * 1000 + math.floor(now[2] / 1000), ARGV[2])
return 1
`;

/**
 * Body slot: the record, its audit entry, the mark that its change is not published yet, and its id in
 * the body's set of services or endpoints (a body's own id is in the network's set, step 1).
 * KEYS: record, unpublished, audit[, id set]. ARGV: json, change, token, at, actor, action, diff, kind,
 * id, member of the id set.
 */
const WRITE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('XADD', KEYS[3], '*', 'at', ARGV[4], 'actor', ARGV[5], 'action', ARGV[6], 'kind', ARGV[8], 'id', ARGV[9], 'changes', ARGV[7])
if KEYS[4] then redis.call('SADD', KEYS[4], ARGV[10]) end
return 1
`;

/** Network slot: the version and the change log, together. KEYS: version, changes. ARGV: kind, id, log length. */
const PUBLISH_SCRIPT = `
local version = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'version', version, 'kind', ARGV[1], 'id', ARGV[2])
return version
`;

/** Deletes a hash field or sorted-set member only if it still holds what was read (no newer write). */
const CLEAR_FIELD_SCRIPT = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;
const CLEAR_MEMBER_SCRIPT = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`;
/** Bodies marked unsettled at least ARGV[1] ms ago by the server's clock, with their marks. */
const UNSETTLED_SCRIPT = `
local now = redis.call('TIME')
local limit = now[1] * 1000 + math.floor(now[2] / 1000) - tonumber(ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', limit, 'WITHSCORES')
`;

/** Entries kept in the change log; an instance further behind than this rebuilds its index. */
const CHANGE_LOG_LENGTH = 10_000;
/**
 * How long a body stays marked before the sweep looks at it: far beyond the few command timeouts one
 * write takes, so the sweep never clears the mark of a write still under way.
 */
export const SETTLE_AFTER_MS = 60_000;

/**
 * Owns the catalog's Redis keys, laid out so that a Redis Cluster spreads them: each body's records
 * share the hash tag of the body, and only the version, the change log and two indexes share the
 * network's tag.
 *   catalog:{b:<ipa>}:body              JSON of a Body
 *   catalog:{b:<ipa>}:service:<id>      JSON of a Service of that body
 *   catalog:{b:<ipa>}:services          set of the body's service ids
 *   catalog:{b:<ipa>}:endpoint:<id>     JSON of an Endpoint of that body
 *   catalog:{b:<ipa>}:endpoints         set of the body's endpoint ids
 *   catalog:{b:<ipa>}:unpublished       hash: `<kind>:<id>` → token, changes written but not yet published
 *   registry:{b:<ipa>}:audit            stream: the body's audit trail (who, when, what changed)
 *   catalog:{catalog}:bodies            set of IPA codes
 *   catalog:{catalog}:service-owners    hash: service id → IPA code (a service id is unique in the network)
 *   catalog:{catalog}:version           counter, +1 per change
 *   catalog:{catalog}:changes           stream: version, kind, id (capped)
 *   catalog:{catalog}:unsettled         sorted set: IPA codes by the time of their last write (ms)
 *
 * A write touches two slots, so it goes in steps, each one script: (1) network slot: intent (body set,
 * service claim, unsettled mark); (2) body slot: record, id set, audit entry and an "unpublished" mark;
 * (3) network slot: version and change log; (4) body slot: the mark cleared. Readers reload on a version
 * change, so a write that stops after (2) would stay unseen: the sweep (`publishPending`) publishes what
 * every unsettled body still marks, and a repeated write that changes nothing does so for its body.
 */
export function createCatalogRepository(redis: RedisConnection) {
  const { client } = redis;
  const network = `${redis.prefix}catalog:{catalog}:`;
  const ofBody = (ipa: string) => `${redis.prefix}catalog:{b:${ipa}}:`;
  const keys = {
    body: (ipa: string) => `${ofBody(ipa)}body`,
    service: (ipa: string, id: string) => `${ofBody(ipa)}service:${id}`,
    services: (ipa: string) => `${ofBody(ipa)}services`,
    endpoint: (ipa: string, id: string) => `${ofBody(ipa)}endpoint:${id}`,
    endpoints: (ipa: string) => `${ofBody(ipa)}endpoints`,
    unpublished: (ipa: string) => `${ofBody(ipa)}unpublished`,
    audit: (ipa: string) => `${redis.prefix}registry:{b:${ipa}}:audit`,
    bodies: `${network}bodies`,
    owners: `${network}service-owners`,
    version: `${network}version`,
    changes: `${network}changes`,
    unsettled: `${network}unsettled`,
  };

  const script = (source: string, keyNames: string[], args: string[]) =>
    redis.sendCommand(['EVAL', source, String(keyNames.length), ...keyNames, ...args], keyNames[0]);

  /** Records under keys of one slot (one body), in MGETs of bounded size; missing ones are skipped. */
  async function readMany<T>(keyNames: string[], parse: (raw: unknown) => T) {
    const out: T[] = [];
    for (let i = 0; i < keyNames.length; i += MGET_CHUNK) {
      const raws = await client.mGet(keyNames.slice(i, i + MGET_CHUNK));
      for (const raw of raws) if (raw) out.push(parse(JSON.parse(raw)));
    }
    return out;
  }

  /** `read` for every item, a bounded number at once (the client pipelines them, per node on a Cluster). */
  async function forEachBody<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = [];
    for (let i = 0; i < items.length; i += PARALLEL_READS)
      out.push(...(await Promise.all(items.slice(i, i + PARALLEL_READS).map(read))));
    return out;
  }

  const parseBody = (raw: unknown) => bodySchema.parse(raw);
  const parseService = (raw: unknown) => serviceSchema.parse(raw);
  const parseEndpoint = (raw: unknown) => endpointSchema.parse(raw);

  async function ownerOf(serviceId: string): Promise<string | undefined> {
    return (await client.hGet(keys.owners, serviceId)) ?? undefined;
  }

  /**
   * Where a record lives: its body, its key, the body's id set it belongs to (none for the body itself)
   * and its member there, its change-log id.
   */
  function placeOf(kind: RecordKind, record: Body | Service | Endpoint) {
    if (kind === 'body') {
      const { ipaCode } = record as Body;
      return { ipa: ipaCode, key: keys.body(ipaCode), set: undefined, member: ipaCode, id: ipaCode };
    }
    if (kind === 'service') {
      const { bodyId, id } = record as Service;
      return { ipa: bodyId, key: keys.service(bodyId, id), set: keys.services(bodyId), member: id, id };
    }
    const { bodyIpa, id } = record as Endpoint;
    const place = { key: keys.endpoint(bodyIpa, id), set: keys.endpoints(bodyIpa), member: id };
    return { ipa: bodyIpa, ...place, id: `${bodyIpa}/${id}` };
  }

  /** Step (3): a new version and its change-log entry. */
  async function publish(kind: RecordKind, id: string): Promise<number> {
    const args = [kind, id, String(CHANGE_LOG_LENGTH)];
    return Number(await script(PUBLISH_SCRIPT, [keys.version, keys.changes], args));
  }

  /** Publishes the changes `ipa` still marks unpublished, then clears each mark; how many it published. */
  async function settle(ipa: string): Promise<number> {
    const marks = Object.entries(await client.hGetAll(keys.unpublished(ipa)));
    for (const [change, token] of marks) {
      const at = change.indexOf(':');
      await publish(change.slice(0, at) as RecordKind, change.slice(at + 1));
      await script(CLEAR_FIELD_SCRIPT, [keys.unpublished(ipa)], [change, token]);
    }
    return marks.length;
  }

  return {
    keys,

    async getBody(ipa: string): Promise<Body | undefined> {
      const raw = await client.get(keys.body(ipa));
      return raw ? parseBody(JSON.parse(raw)) : undefined;
    },

    /** A service by its id: the network's index names its body, whose slot holds it. */
    async getService(id: string): Promise<Service | undefined> {
      const ipa = await ownerOf(id);
      const raw = ipa ? await client.get(keys.service(ipa, id)) : null;
      return raw ? parseService(JSON.parse(raw)) : undefined;
    },

    async getServices(ids: string[]): Promise<Service[]> {
      if (ids.length === 0) return [];
      const owners = await client.hmGet(keys.owners, ids);
      const byBody = new Map<string, string[]>();
      ids.forEach((id, i) => {
        const ipa = owners[i];
        if (ipa) byBody.set(ipa, [...(byBody.get(ipa) ?? []), keys.service(ipa, id)]);
      });
      const found = await forEachBody([...byBody.values()], (keyNames) => readMany(keyNames, parseService));
      const byId = new Map(found.flat().map((s) => [s.id, s]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },

    async getEndpoint(bodyIpa: string, id: string): Promise<Endpoint | undefined> {
      const raw = await client.get(keys.endpoint(bodyIpa, id));
      return raw ? parseEndpoint(JSON.parse(raw)) : undefined;
    },

    /** A body's endpoints, by id. */
    async listEndpoints(bodyIpa: string): Promise<Endpoint[]> {
      const ids = (await client.sMembers(keys.endpoints(bodyIpa))).sort();
      return readMany(
        ids.map((id) => keys.endpoint(bodyIpa, id)),
        parseEndpoint,
      );
    },

    async listBodies(): Promise<Body[]> {
      const ids = (await client.sMembers(keys.bodies)).sort();
      const raws = await forEachBody(ids, (ipa) => client.get(keys.body(ipa)));
      return raws.flatMap((raw) => (raw ? [parseBody(JSON.parse(raw))] : []));
    },

    /**
     * Every service, body by body, for the index rebuild. Records are not re-validated here: only the
     * writer stores them, after validation, and parsing 100,000 records again would dominate the rebuild.
     */
    async listServices(): Promise<Service[]> {
      const ipas = (await client.sMembers(keys.bodies)).sort();
      const perBody = await forEachBody(ipas, async (ipa) => {
        const ids = (await client.sMembers(keys.services(ipa))).sort();
        return readMany(
          ids.map((id) => keys.service(ipa, id)),
          (raw) => raw as Service,
        );
      });
      return perBody.flat();
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
     * Stores a record with its audit record and publishes the change (steps 1–4 above); the new version.
     * A failure after step (2) leaves the change for the sweep to publish. A service id another body
     * holds is refused (403) before anything is written.
     */
    async save(kind: RecordKind, record: Body | Service | Endpoint, audit: AuditRecord): Promise<number> {
      const place = placeOf(kind, record);
      const intent = [keys.bodies, keys.owners, keys.unsettled];
      const claimed = await script(INTENT_SCRIPT, intent, [kind, place.ipa, place.id]);
      if (Number(claimed) !== 1) throw new ForbiddenError('service_id_taken');
      const change = `${kind}:${place.id}`;
      const token = randomUUID();
      const bodyKeys = [place.key, keys.unpublished(place.ipa), keys.audit(place.ipa)];
      await script(WRITE_SCRIPT, place.set ? [...bodyKeys, place.set] : bodyKeys, [
        JSON.stringify(record),
        change,
        token,
        audit.at,
        audit.actor,
        audit.action,
        JSON.stringify(audit.changes),
        kind,
        place.id,
        place.member,
      ]);
      const version = await publish(kind, place.id);
      // The change is published: a mark left behind only makes the sweep publish it once more.
      await script(CLEAR_FIELD_SCRIPT, [keys.unpublished(place.ipa)], [change, token]).catch(() => undefined);
      return version;
    },

    /** Publishes what `ipa`'s last writes left unpublished (a write that changed nothing calls it). */
    settle,

    /**
     * The sweep: publishes what bodies marked unsettled at least `olderThanMs` ago still mark unpublished,
     * then unmarks them (unless written again meanwhile). How many changes it published.
     */
    async publishPending(olderThanMs = SETTLE_AFTER_MS): Promise<number> {
      const found = (await script(UNSETTLED_SCRIPT, [keys.unsettled], [String(olderThanMs)])) as string[];
      let published = 0;
      for (let i = 0; i + 1 < found.length; i += 2) {
        const [ipa, mark] = [found[i] as string, found[i + 1] as string];
        published += await settle(ipa);
        await script(CLEAR_MEMBER_SCRIPT, [keys.unsettled], [ipa, mark]);
      }
      return published;
    },

    /** The audit trail of one record, newest first (from its body's stream). */
    async auditOf(kind: RecordKind, id: string, count = 100): Promise<AuditRecord[]> {
      const ipa = kind === 'body' ? id : kind === 'endpoint' ? id.split('/')[0] : await ownerOf(id);
      if (!ipa) return [];
      const entries = await client.xRevRange(keys.audit(ipa), '+', '-', { COUNT: 10_000 });
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
