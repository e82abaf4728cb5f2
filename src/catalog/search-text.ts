/**
 * Italian-aware text processing for the catalog search: accents folded, stop words dropped, a light
 * Italian stemmer (the same normalisation on indexing and on the query, so "certificati" finds
 * "certificato" and "identità" finds "identita").
 */

const STOP_WORDS = new Set(
  (
    'il lo la i gli le l un uno una un di a da in con su per tra fra del dello della dei degli delle d ' +
    'al allo alla ai agli alle all dal dallo dalla dai dagli dalle nel nello nella nei negli nelle ' +
    'sul sullo sulla sui sugli sulle e ed o od che come mio mia tuo tua suo sua si ne ci vi non ' +
    'the of and to for an in on at by or with my your'
  ).split(' '),
);

/** Lower case, accents folded ("identità" → "identita", "città" → "citta"). */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/** Words of a text: runs of letters and digits (apostrophes split: "d'identità" → d, identita). */
export function tokenize(text: string): string[] {
  return foldText(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

// Derivational endings reduced to a common stem, longest first (a light stemmer in the spirit of
// Savoy's Italian light stemmer: it removes inflection, not meaning).
const SUFFIXES: ReadonlyArray<[string, string]> = [
  ['zioni', 'zion'],
  ['zione', 'zion'],
  ['sioni', 'sion'],
  ['sione', 'sion'],
  ['mente', ''],
  ['ità', 'it'],
];

/** Light Italian stemming: derivational suffix, then the final inflection vowel. */
export function stem(word: string): string {
  if (word.length < 4 || /^\d+$/.test(word)) return word;
  for (const [suffix, replacement] of SUFFIXES) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) {
      return word.slice(0, -suffix.length) + replacement;
    }
  }
  // Gender and number: -o/-a/-i/-e (certificato, certificati; nido, nidi; carta, carte).
  return /[aeiou]$/.test(word) ? word.slice(0, -1) : word;
}

/** A token from `tokenize` (already folded) as it is indexed and searched: stemmed; null for stop words. */
export function processTerm(term: string): string | null {
  if (term.length === 0 || STOP_WORDS.has(term)) return null;
  return stem(term);
}

/** Edit distance allowed for a query term: none for short words, one from 5 letters, two from 9. */
export function fuzziness(term: string): number {
  if (term.length >= 9) return 2;
  if (term.length >= 5) return 1;
  return 0;
}
