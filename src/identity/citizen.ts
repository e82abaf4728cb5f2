/** SPID authentication levels (SPID technical rules; AgID Determinazione 1/2018 and following). */
export const LEVELS = [1, 2, 3] as const;
export type Level = (typeof LEVELS)[number];

/**
 * The citizen as every part of the gateway sees them, whichever provider they logged in with.
 * The fiscal code is the join key across SPID, CIE and other OpenID Connect providers.
 */
export interface CitizenIdentity {
  fiscalCode: string;
  name: string;
  familyName: string;
  dateOfBirth?: string;
  email?: string;
  /** Level actually obtained at login. */
  level: Level;
  /** Kind of login: spid, cie or another OpenID Connect provider's id. */
  provider: string;
  /** The identity provider's entity id or issuer. */
  issuer: string;
  /** Milliseconds since the epoch. */
  loginAt: number;
}

const FISCAL_CODE = /^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/;

// Values of each character in odd (1st, 3rd, …) positions for the check character (DM 23/12/1976).
const ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/** The check character of the first 15 characters of a fiscal code (DM 23/12/1976, annex). */
export function checkCharacter(first15: string): string {
  let sum = 0;
  for (let i = 0; i < first15.length; i++) {
    const c = first15.charCodeAt(i);
    const index = c <= 57 ? c - 48 : c - 65; // '0'-'9' and 'A'-'Z' share the same 0-25 index
    sum += i % 2 === 0 ? (ODD[index] ?? 0) : index;
  }
  return String.fromCharCode(65 + (sum % 26));
}

/**
 * Normalises a fiscal code as identity providers send it (SPID: "TINIT-RSSMRA80A01G999X"; OIDC: plain or
 * lower case) to the 16-character upper-case form; undefined when it is not a valid personal fiscal code.
 */
export function normaliseFiscalCode(raw: string): string | undefined {
  const code = raw
    .trim()
    .toUpperCase()
    .replace(/^TINIT-/, '');
  return FISCAL_CODE.test(code) && checkCharacter(code.slice(0, 15)) === code[15] ? code : undefined;
}
