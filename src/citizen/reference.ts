import { createHmac } from 'node:crypto';

/** A citizen's reference: 64 lowercase hex digits (never a fiscal code, which has 16 characters). */
const REFERENCE = /^[0-9a-f]{64}$/;

/**
 * The name a citizen is filed under in Redis, in every module (profile, sessions, favourites, consents,
 * access history, cases, drafts…): HMAC-SHA256 of the fiscal code with the reference key
 * (CITIZEN_REFERENCE_KEY, secrets.ts; one key for the whole gateway). The same citizen always gets the
 * same reference, so it indexes; without
 * the key nobody turns a reference back into a fiscal code, or a fiscal code into its reference (unlike
 * a bare hash, which anyone could compute for every fiscal code of a given birth date and place).
 */
export function createCitizenRef(key: Buffer) {
  if (key.length < 32) throw new Error('the reference key must have at least 32 bytes');
  // A page reads several modules' keys of the same citizen: the references of the citizens seen lately
  // are kept (in this process's memory only, like their sessions), up to REMEMBERED at a time.
  const remembered = new Map<string, string>();
  return (fiscalCode: string): string => {
    let ref = remembered.get(fiscalCode);
    if (ref === undefined) {
      ref = createHmac('sha256', key).update(`varco:citizen:${fiscalCode}`).digest('hex');
      if (remembered.size >= REMEMBERED) remembered.clear();
      remembered.set(fiscalCode, ref);
    }
    return ref;
  };
}

const REMEMBERED = 10_000;

export type CitizenRef = ReturnType<typeof createCitizenRef>;

/** True for a reference, false for anything else (a fiscal code above all). */
export const isCitizenRef = (value: string) => REFERENCE.test(value);
