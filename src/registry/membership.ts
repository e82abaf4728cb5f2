import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CatalogWriter } from '../catalog/catalog.writer.ts';
import { BODY_KINDS, hostName, ipaCode, type Actor } from '../catalog/model.ts';
import { normaliseFiscalCode } from '../identity/citizen.ts';
import { AppError, NotFoundError } from '../platform/errors.ts';
import type { RedisConnection } from '../platform/redis.ts';
import type { Credentials, IssuedCredential } from './credentials.repository.ts';

const text = (max: number) => z.string().trim().min(1).max(max);

/** The membership request form (/join), as posted. */
/** Host names as people type them: separated by spaces, commas or new lines, in any case. */
export const hostList = z
  .string()
  .max(2000)
  .transform((raw) =>
    raw
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((d) => d.toLowerCase()),
  );

export const membershipFormSchema = z.strictObject({
  ipaCode,
  name: text(200),
  kind: z.enum(BODY_KINDS),
  territory: text(200),
  signatoryName: text(200),
  signatoryRole: text(200),
  email: z.email().max(254),
  /** Who receives the API credential (a one-time link); the contact e-mail when left empty. */
  technicalEmail: z
    .union([z.literal(''), z.email().max(254)])
    .optional()
    .transform((value) => value || undefined),
  website: z.url({ protocol: /^https$/, hostname: z.regexes.domain }).max(500),
  /** Host names the body's services live on, separated by spaces, commas or new lines. */
  domains: hostList.pipe(z.array(hostName).min(1).max(20)),
  /** The network's protocol must be accepted (a checked checkbox). */
  acceptProtocol: z.literal('yes'),
});
export type MembershipForm = z.infer<typeof membershipFormSchema>;

export interface Membership extends MembershipForm {
  id: string;
  status: 'pending' | 'approved' | 'rejected';
  submittedAt: string;
  decidedAt?: string;
  decidedBy?: string;
  reason?: string;
}

export class MembershipStateError extends AppError {
  constructor() {
    super(409, 'membership_already_decided');
  }
}

/** Fiscal codes typed by an admin: each must be a valid personal fiscal code. */
export function parseEditors(raw: string): string[] | undefined {
  const codes = raw.split(/[\s,;]+/).filter(Boolean);
  const valid = codes.map(normaliseFiscalCode);
  return codes.length > 0 && codes.length <= 50 && valid.every(Boolean) ? (valid as string[]) : undefined;
}

/**
 * Membership requests and their decision. Keys:
 *   registry:membership:<id>   JSON of a Membership
 *   registry:memberships       sorted set, id → submitted at (ms)
 *   registry:technical-contact:<ipa>   the e-mail new API credentials are sent to (set at approval)
 * Approval creates the body through the catalog writer (audited), names its editors and issues the
 * first API credential, which is returned once and never stored in clear.
 */
export function createMemberships(redis: RedisConnection, writer: CatalogWriter, credentials: Credentials) {
  const { client } = redis;
  const key = (id: string) => `${redis.prefix}registry:membership:${id}`;
  const index = `${redis.prefix}registry:memberships`;
  const technicalKey = (ipa: string) => `${redis.prefix}registry:technical-contact:${ipa}`;

  async function get(id: string): Promise<Membership> {
    const raw = /^[A-Za-z0-9_-]{16}$/.test(id) ? await client.get(key(id)) : null;
    if (!raw) throw new NotFoundError('membership_not_found');
    return JSON.parse(raw) as Membership;
  }

  async function decide(id: string, update: Partial<Membership>): Promise<Membership> {
    const current = await get(id);
    if (current.status !== 'pending') throw new MembershipStateError();
    const next = { ...current, ...update, decidedAt: new Date().toISOString() };
    await client.set(key(id), JSON.stringify(next));
    return next;
  }

  return {
    get,

    async submit(form: MembershipForm): Promise<Membership> {
      const id = randomBytes(12).toString('base64url');
      const membership: Membership = {
        ...form,
        id,
        status: 'pending',
        submittedAt: new Date().toISOString(),
      };
      await client
        .multi()
        .set(key(id), JSON.stringify(membership))
        .zAdd(index, { score: Date.now(), value: id })
        .exec();
      return membership;
    },

    async list(): Promise<Membership[]> {
      const ids = await client.zRange(index, 0, 199, { REV: true });
      const raws = ids.length > 0 ? await client.mGet(ids.map(key)) : [];
      return raws.flatMap((raw) => (raw ? [JSON.parse(raw) as Membership] : []));
    },

    async approve(
      admin: Actor,
      id: string,
      editors: string[],
    ): Promise<{ membership: Membership; credential: IssuedCredential }> {
      const membership = await get(id);
      if (membership.status !== 'pending') throw new MembershipStateError();
      // Refused (409) when a body with this IPA code is already in the registry.
      await writer.createBody(
        admin,
        {
          ipaCode: membership.ipaCode,
          name: { it: membership.name, en: membership.name },
          kind: membership.kind,
          territory: membership.territory,
          contacts: { email: membership.email, website: membership.website },
          domains: membership.domains,
        },
        { status: 'approved', editors: [...new Set(editors)].sort() },
      );
      const decided = await decide(id, { status: 'approved', decidedBy: `${admin.kind}:${admin.id}` });
      if (membership.technicalEmail)
        await client.set(technicalKey(membership.ipaCode), membership.technicalEmail);
      return { membership: decided, credential: await credentials.issue(membership.ipaCode) };
    },

    /** Where a body's new API credentials go: its technical contact when it named one on joining. */
    async technicalContact(ipa: string): Promise<string | undefined> {
      return (await client.get(technicalKey(ipa))) ?? undefined;
    },

    async reject(admin: Actor, id: string, reason: string): Promise<Membership> {
      return decide(id, { status: 'rejected', reason, decidedBy: `${admin.kind}:${admin.id}` });
    },
  };
}

export type Memberships = ReturnType<typeof createMemberships>;
