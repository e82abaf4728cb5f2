import type { CitizenKeys } from '../citizen/redis-keys.ts';
import type { RedisConnection } from '../platform/redis.ts';

/** A citizen's remembered choice to let a service receive the claims it declared. */
export interface Consent {
  serviceId: string;
  bodyId: string;
  /** The claims the service declared when the citizen agreed; a service that declares more asks again. */
  claims: string[];
  at: number;
  /** oidc-provider grants issued under this consent (destroyed when it is revoked). */
  grantIds: string[];
}

const MAX_GRANTS = 20;

export type ConsentListener = (
  change: 'given' | 'revoked',
  service: { serviceId: string; bodyId: string },
) => void;

/**
 * Consents per citizen and service: `citizen:{<ref>}:consents` (the citizen's reference,
 * platform/citizen-keys.ts, never the fiscal code), a hash service id → Consent (JSON).
 * They last until the citizen revokes them in the personal area.
 */
export function createConsents(
  redis: RedisConnection,
  keys: CitizenKeys,
  /** Told of consents given and revoked, by service only (the usage statistics). */
  changed?: ConsentListener,
) {
  const { client } = redis;
  const key = (fiscalCode: string) => keys.key(fiscalCode, 'consents');

  async function get(fiscalCode: string, serviceId: string): Promise<Consent | undefined> {
    const raw = await client.hGet(key(fiscalCode), serviceId);
    return raw ? (JSON.parse(raw) as Consent) : undefined;
  }

  return {
    get,

    async list(fiscalCode: string): Promise<Consent[]> {
      const all = await client.hGetAll(key(fiscalCode));
      return Object.values(all)
        .map((raw) => JSON.parse(raw) as Consent)
        .sort((a, b) => b.at - a.at);
    },

    async remember(
      fiscalCode: string,
      consent: Omit<Consent, 'grantIds' | 'at'>,
      grantId?: string,
    ): Promise<void> {
      const before = await get(fiscalCode, consent.serviceId);
      const grantIds = [...(before?.grantIds ?? []), ...(grantId ? [grantId] : [])].slice(-MAX_GRANTS);
      const record: Consent = { ...consent, at: Date.now(), grantIds };
      await client.hSet(key(fiscalCode), consent.serviceId, JSON.stringify(record));
      if (!before) changed?.('given', consent);
    },

    async addGrant(fiscalCode: string, serviceId: string, grantId: string): Promise<void> {
      const before = await get(fiscalCode, serviceId);
      if (!before || before.grantIds.includes(grantId)) return;
      const grantIds = [...before.grantIds, grantId].slice(-MAX_GRANTS);
      await client.hSet(key(fiscalCode), serviceId, JSON.stringify({ ...before, grantIds }));
    },

    /** Forgets the consent; returns it (with its grants to destroy), or undefined when there was none. */
    async revoke(fiscalCode: string, serviceId: string): Promise<Consent | undefined> {
      const before = await get(fiscalCode, serviceId);
      if (before) {
        await client.hDel(key(fiscalCode), serviceId);
        changed?.('revoked', before);
      }
      return before;
    },
  };
}

export type Consents = ReturnType<typeof createConsents>;
