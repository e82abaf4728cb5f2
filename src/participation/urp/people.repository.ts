import { z } from 'zod';
import type { CitizenKeys } from '../../citizen/redis-keys.ts';
import { tokenId } from '../../platform/one-time-token.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import { createSingleUseStore } from '../../platform/single-use-store.ts';

const FISCAL_CODE = /^[A-Z0-9]{16}$/;

/** Answer templates one body (or the URP) keeps. */
export const TEMPLATES_MAX = 30;

/** An anonymous request waiting for its address to be confirmed: the whole form, encrypted. */
const pendingSchema = z.object({ sealed: z.string(), lang: z.enum(['it', 'en']) });
const appSchema = z.object({ name: z.string(), issuedAt: z.string() });

/**
 * Who deals with the desk, and how requesters find their requests again:
 *   urp:operators                     set of fiscal codes: the network's URP operators (named by admins)
 *   urp:{b:<ipa>}:answerers           set of fiscal codes: a body's answerers (named by its editors)
 *   urp:answering:<fiscal code>       set of IPA codes: the bodies a person answers for (the same, read the
 *                                     other way: the personal area lists them without asking every body)
 *   citizen:{<ref>}:urp-requests      sorted set: a logged-in citizen's requests, reference → filed at
 *   urp:access:<SHA-256 of token>     reference: an anonymous requester's link to their request
 *   urp:pending:<SHA-256 of token>    JSON: a request waiting for its address (single use, expiring)
 *   urp:{b:<ipa>}:templates          hash: a body's answer templates, name → text (urp:{network}:templates: the URP's)
 *   urp:apps                          hash: SHA-256 of an app's API key → JSON name, issuedAt (Open311)
 *   urp:app-filed:<id>                reference: what a request an app sent became once confirmed (Open311 token)
 * Tokens are stored by their hash only, so a copy of Redis opens nothing.
 */
export function createPeople(redis: RedisConnection, keys: CitizenKeys, confirmSeconds: number) {
  const { client } = redis;
  const base = `${redis.prefix}urp:`;
  const operatorsKey = `${base}operators`;
  const answerersKey = (ipa: string) => `${base}{b:${ipa}}:answerers`;
  const answeringKey = (fiscalCode: string) => `${base}answering:${fiscalCode}`;
  const accessKey = (token: string) => `${base}access:${tokenId(token)}`;
  const appsKey = `${base}apps`;
  const templatesKey = (owner: string | undefined) =>
    `${base}${owner ? `{b:${owner}}` : '{network}'}:templates`;
  const appFiledKey = (id: string) => `${base}app-filed:${id}`;
  const pending = createSingleUseStore(redis, 'urp:pending:', pendingSchema, confirmSeconds);

  return {
    pending,
    operators: {
      list: async () => (await client.sMembers(operatorsKey)).sort(),
      has: async (fiscalCode: string) => (await client.sIsMember(operatorsKey, fiscalCode)) === 1,
      async add(fiscalCode: string) {
        if (!FISCAL_CODE.test(fiscalCode)) throw new Error('not a fiscal code');
        await client.sAdd(operatorsKey, fiscalCode);
      },
      remove: async (fiscalCode: string) => void (await client.sRem(operatorsKey, fiscalCode)),
    },
    answerers: {
      list: async (ipa: string) => (await client.sMembers(answerersKey(ipa))).sort(),
      has: async (ipa: string, fiscalCode: string) =>
        (await client.sIsMember(answerersKey(ipa), fiscalCode)) === 1,
      // Two keys on two Cluster slots, written one after the other: named first, listed after; unlisted
      // first, unnamed after. Cut short between the two, a person can answer for a body their personal
      // area does not link yet, never the other way round; naming or removing again mends it.
      async add(ipa: string, fiscalCode: string) {
        if (!FISCAL_CODE.test(fiscalCode)) throw new Error('not a fiscal code');
        await client.sAdd(answerersKey(ipa), fiscalCode);
        await client.sAdd(answeringKey(fiscalCode), ipa);
      },
      async remove(ipa: string, fiscalCode: string) {
        await client.sRem(answeringKey(fiscalCode), ipa);
        await client.sRem(answerersKey(ipa), fiscalCode);
      },
      /** The bodies a person answers for (one read, whatever the number of bodies). */
      bodiesOf: async (fiscalCode: string) =>
        FISCAL_CODE.test(fiscalCode) ? (await client.sMembers(answeringKey(fiscalCode))).sort() : [],
    },
    citizenRequests: {
      async add(fiscalCode: string, ref: string, at: number) {
        await client.zAdd(keys.key(fiscalCode, 'urp-requests'), { score: at, value: ref });
      },
      list: (fiscalCode: string) =>
        client.zRange(keys.key(fiscalCode, 'urp-requests'), 0, 199, { REV: true }),
    },
    /** Named answer texts of a body (or, without one, of the URP), at most TEMPLATES_MAX. */
    templates: {
      async list(owner: string | undefined): Promise<{ name: string; text: string }[]> {
        const all = await client.hGetAll(templatesKey(owner));
        return Object.entries(all)
          .map(([name, text]) => ({ name, text }))
          .sort((a, b) => a.name.localeCompare(b.name));
      },
      get: async (owner: string | undefined, name: string) =>
        (await client.hGet(templatesKey(owner), name)) ?? undefined,
      /** Saves a template; false when the owner already has TEMPLATES_MAX others. */
      async save(owner: string | undefined, name: string, text: string): Promise<boolean> {
        const key = templatesKey(owner);
        const exists = (await client.hExists(key, name)) === 1;
        if (!exists && (await client.hLen(key)) >= TEMPLATES_MAX) return false;
        await client.hSet(key, name, text);
        return true;
      },
      remove: async (owner: string | undefined, name: string) =>
        void (await client.hDel(templatesKey(owner), name)),
    },
    apps: {
      /** Issues an API key to an app: returned once, stored by its hash only. */
      async issue(name: string, key: string) {
        await client.hSet(
          appsKey,
          tokenId(key),
          JSON.stringify({ name, issuedAt: new Date().toISOString() }),
        );
      },
      async list(): Promise<{ id: string; name: string; issuedAt: string }[]> {
        const all = await client.hGetAll(appsKey);
        return Object.entries(all).flatMap(([id, raw]) => {
          const parsed = appSchema.safeParse(JSON.parse(raw));
          return parsed.success ? [{ id, ...parsed.data }] : [];
        });
      },
      async nameOf(key: string): Promise<string | undefined> {
        const raw = await client.hGet(appsKey, tokenId(key));
        const parsed = raw ? appSchema.safeParse(JSON.parse(raw)) : undefined;
        return parsed?.success ? parsed.data.name : undefined;
      },
      revoke: async (id: string) => void (await client.hDel(appsKey, id)),
      /** An app's request, once confirmed, under the token the app was given (kept 30 days). */
      async filed(id: string, ref: string) {
        await client.set(appFiledKey(id), ref, { expiration: { type: 'EX', value: 30 * 86_400 } });
      },
      async filedAs(id: string): Promise<string | undefined> {
        return (await client.get(appFiledKey(id))) ?? undefined;
      },
    },
    access: {
      async grant(token: string, ref: string) {
        await client.set(accessKey(token), ref);
      },
      async find(token: string): Promise<string | undefined> {
        return (await client.get(accessKey(token))) ?? undefined;
      },
    },
  };
}

export type People = ReturnType<typeof createPeople>;
