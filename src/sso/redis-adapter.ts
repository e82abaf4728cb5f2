import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { RedisConnection } from '../platform/redis.ts';

/** Models that belong to one grant: revoking the grant (consent withdrawn, logout) removes them all. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);
/**
 * Single-use models, stored as a hash with a `consumed` field, and how a second use is refused: the
 * provider's own check (read, then consume) lets requests arriving together all through, so consuming
 * is atomic (HSETNX) and only the first goes on (RFC 6749 4.1.2, RFC 9126 section 4).
 */
const CONSUMABLE = new Map<string, () => Error>([
  ['AuthorizationCode', () => new errors.InvalidGrant('authorization code already consumed')],
  ['RefreshToken', () => new errors.InvalidGrant('refresh token already consumed')],
  ['DeviceCode', () => new errors.InvalidGrant('device code already consumed')],
  ['BackchannelAuthenticationRequest', () => new errors.InvalidGrant('request already consumed')],
  [
    'PushedAuthorizationRequest',
    () => new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used'),
  ],
]);

/**
 * Models whose entries are written once, and how a second write is refused. oidc-provider's replay
 * detection (ReplayDetection.unique: the `jti` of private_key_jwt and client_secret_jwt assertions)
 * reads, then saves, so requests carrying the same assertion at once all found nothing and all went
 * through; SET NX lets the first save and refuses the others as replays (RFC 7523 section 3, OIDC Core
 * 9). The model also holds DPoP proofs' `jti` (DPoP is on by default): a proof sent twice at once is
 * refused too, as invalid_client rather than invalid_dpop_proof (one at a time, the provider's own
 * check sees the first and answers with its own error). Client attestation is not enabled.
 */
const WRITE_ONCE = new Map<string, () => Error>([
  ['ReplayDetection', () => new errors.InvalidClientAuth('client assertion tokens must only be used once')],
]);

/** How long a consumed mark outlives a code that had already expired when it was consumed. */
const CONSUMED_REMNANT_SECONDS = 60;

/**
 * oidc-provider's state in Redis (keys under `<prefix>oidc:`), so every gateway instance serves every
 * step of a flow:
 *   oidc:<Model>:<id>          the payload (JSON; a hash {payload, consumed} for single-use models)
 *   oidc:grant:<grantId>       set of the keys issued under a grant (for revokeByGrantId)
 *   oidc:userCode:<code>, oidc:uid:<uid>   indexes to the model id
 * Each key expires with its artifact. The Client model is not stored here: clients are the catalog's
 * services (src/sso/clients.ts).
 */
export function createRedisAdapter(redis: RedisConnection, name: string): Adapter {
  const { client } = redis;
  const base = `${redis.prefix}oidc:`;
  const key = (id: string) => `${base}${name}:${id}`;
  const grantKey = (grantId: string) => `${base}grant:${grantId}`;
  const userCodeKey = (code: string) => `${base}userCode:${code}`;
  const uidKey = (uid: string) => `${base}uid:${uid}`;
  const consumable = CONSUMABLE.has(name);
  const alreadyConsumed = CONSUMABLE.get(name) ?? (() => new Error(`${name} is not single-use`));
  const alreadyWritten = WRITE_ONCE.get(name);

  async function find(id: string): Promise<AdapterPayload | undefined> {
    if (consumable) {
      const stored = await client.hGetAll(key(id));
      if (!stored.payload) return undefined;
      const payload = JSON.parse(stored.payload) as AdapterPayload;
      return stored.consumed ? { ...payload, consumed: Number(stored.consumed) } : payload;
    }
    const raw = await client.get(key(id));
    return raw ? (JSON.parse(raw) as AdapterPayload) : undefined;
  }

  const setWithTtl = (k: string, value: string, ttl: number | undefined) =>
    ttl ? client.set(k, value, { expiration: { type: 'EX', value: ttl } }) : client.set(k, value);

  function writeHash(k: string, json: string, ttl: number | undefined) {
    const transaction = client.multi().del(k).hSet(k, { payload: json });
    return (ttl ? transaction.expire(k, ttl) : transaction).exec();
  }

  async function findBy(indexKey: string) {
    const id = await client.get(indexKey);
    return id ? find(id) : undefined;
  }

  return {
    async upsert(id, payload, expiresIn) {
      const ttl = expiresIn && expiresIn > 0 ? Math.ceil(expiresIn) : undefined;
      const json = JSON.stringify(payload);
      if (alreadyWritten) {
        // An entry is only worth keeping until the assertion expires; never without an expiry.
        const expiration = { type: 'EX', value: ttl ?? CONSUMED_REMNANT_SECONDS } as const;
        const written = await client.set(key(id), json, { condition: 'NX', expiration });
        if (written === null) throw alreadyWritten();
        return;
      }
      const writes: Array<Promise<unknown>> = [];
      writes.push(consumable ? writeHash(key(id), json, ttl) : setWithTtl(key(id), json, ttl));
      if (GRANTABLE.has(name) && payload.grantId) {
        const grant = grantKey(payload.grantId);
        // The index lives as long as the longest artifact of the grant: NX gives a new index its expiry,
        // GT only ever lengthens it. Sent together (one round trip), in order on the key's connection.
        writes.push(client.sAdd(grant, key(id)));
        if (ttl) writes.push(client.expire(grant, ttl, 'NX'), client.expire(grant, ttl, 'GT'));
      }
      if (payload.userCode) writes.push(setWithTtl(userCodeKey(payload.userCode), id, ttl));
      if (payload.uid) writes.push(setWithTtl(uidKey(payload.uid), id, ttl));
      await Promise.all(writes);
    },

    find,
    findByUserCode: (userCode) => findBy(userCodeKey(userCode)),
    findByUid: (uid) => findBy(uidKey(uid)),

    async consume(id) {
      // One round trip. A code that expired meanwhile comes back as a hash without payload (find sees
      // nothing), and EXPIRE NX gives it a short life; a live code keeps its own expiry.
      const [first] = await client
        .multi()
        .hSetNX(key(id), 'consumed', String(Math.floor(Date.now() / 1000)))
        .expire(key(id), CONSUMED_REMNANT_SECONDS, 'NX')
        .exec();
      if (!first) throw alreadyConsumed();
    },

    async destroy(id) {
      await client.del(key(id));
    },

    async revokeByGrantId(grantId) {
      const grant = grantKey(grantId);
      const keys = await client.sMembers(grant);
      // One DEL per key: in a Redis Cluster the artifacts of a grant live in different slots.
      await Promise.all([...keys, grant].map((k) => client.del(k)));
    },
  };
}
