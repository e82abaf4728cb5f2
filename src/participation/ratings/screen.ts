/**
 * Screening of a comment before it is stored, so no one who reads ratings (a body's editors, the
 * network admins) learns who wrote it from what it says: fiscal codes, e-mail addresses and phone
 * numbers are masked. The text is first normalised (NFKC), so full-width letters and digits cannot slip
 * past the patterns. What is left is plain text: pages escape it when they show it.
 */

/**
 * A fiscal code (DM 23/12/1976): 6 letters, 2 digits, a month letter, 2 digits, a place (letter and 3
 * digits), a check letter; digits may be replaced by the letters L–V (omocodia).
 */
const FISCAL_CODE = /\b[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]\b/gi;
/** An e-mail address, loosely: anything@anything.tld, with the usual obfuscations "[at]", "(at)", " at ". */
const EMAIL = /[^\s@<>()[\]]+\s*(?:@|\[at\]|\(at\)|\{at\})\s*[^\s@<>()[\]]+\.[a-z]{2,}/gi;
/** Six or more digits in a run, spaced by blanks, dots or dashes, perhaps after + or 00 (phone numbers). */
const PHONE = /(?:\+|\b00)?\d(?:[ .\-()]{0,2}\d){5,}/g;

export const MASKS = {
  fiscalCode: '[codice fiscale]',
  email: '[e-mail]',
  phone: '[telefono]',
} as const;

export function screenComment(text: string): string {
  return text
    .normalize('NFKC')
    .replace(FISCAL_CODE, MASKS.fiscalCode)
    .replace(EMAIL, MASKS.email)
    .replace(PHONE, MASKS.phone);
}
