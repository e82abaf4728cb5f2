import type { CitizenRef } from './reference.ts';
import type { RedisConnection } from '../platform/redis.ts';

/**
 * A citizen's keys in every module: `citizen:{<ref>}:<what>`, where <ref> is their reference
 * (reference.ts), never the fiscal code; the braces are a Cluster hash tag, so one citizen's keys share
 * a slot.
 */
export function createCitizenKeys(redis: RedisConnection, citizenRef: CitizenRef) {
  return {
    /** The key of `what` for the citizen with this fiscal code. */
    key: (fiscalCode: string, what: string) => `${redis.prefix}citizen:{${citizenRef(fiscalCode)}}:${what}`,
  };
}

export type CitizenKeys = ReturnType<typeof createCitizenKeys>;
