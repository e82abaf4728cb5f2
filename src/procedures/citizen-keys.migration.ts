import type { RedisConnection } from '../platform/redis.ts';
import type { CaseRepository } from './case.repository.ts';
import type { ConfirmationRepository } from './confirmation.repository.ts';
import type { DraftRepository } from './draft.repository.ts';
import { scanKeys } from '../platform/scan-keys.ts';

export interface CitizenKeysMigrated {
  /** Legacy indexes (citizen:<cf>:cases) moved under the citizen's reference. */
  indexes: number;
  /** Cases whose owner was a fiscal code. */
  cases: number;
  drafts: number;
  confirmations: number;
  /** Drafts no configured data key decrypts: left where they are, to expire. */
  unreadableDrafts: number;
}

/**
 * Moves what was filed under fiscal codes, before citizen references (citizen-ref.ts), to references:
 * the case indexes, the cases' owners, drafts and confirmations. Run at every start, by every instance;
 * each move is idempotent and writes the new key before it removes the old one (only if unchanged), so
 * instances may run it together and a crash midway loses nothing: the next start finishes it. Returns
 * counts only (the keys name citizens).
 */
export async function migrateCitizenKeys(
  redis: RedisConnection,
  repositories: { cases: CaseRepository; drafts: DraftRepository; confirmations: ConfirmationRepository },
): Promise<CitizenKeysMigrated> {
  const counts: CitizenKeysMigrated = {
    indexes: 0,
    cases: 0,
    drafts: 0,
    confirmations: 0,
    unreadableDrafts: 0,
  };
  const each = async (pattern: string, migrate: (name: string) => Promise<void>) => {
    for await (const names of scanKeys(redis, pattern)) await Promise.all(names.map(migrate));
  };
  const { cases, drafts, confirmations } = repositories;
  const caseOrIndex = async (name: string) => {
    const moved = await cases.migrateLegacy(name);
    if (moved === 'index') counts.indexes++;
    if (moved === 'case') counts.cases++;
  };
  // Cases first: each one moved also enters its citizen's new index, whatever the legacy index holds.
  await each('proc:case:{*}', caseOrIndex);
  await each('citizen:*:cases', caseOrIndex);
  await each('proc:draft:*', async (name) => {
    const moved = await drafts.migrateLegacy(name);
    if (moved === 'unreadable') counts.unreadableDrafts++;
    else if (moved) counts.drafts++;
  });
  await each('proc:confirm:*', async (name) => {
    if (await confirmations.migrateLegacy(name)) counts.confirmations++;
  });
  return counts;
}
