/**
 * Italian names of bodies take a definite article, which merges with a preposition: "all'INPS", "al
 * Comune di Prato", "dall'Azienda USL". A body may declare its article (its profile's `article`); else
 * it is derived from the name: feminine when the first word ends in -a ("Azienda", "Provincia",
 * "Prefettura"), elided before a vowel (also an acronym read as a word: "INPS", "USL"), "lo" before
 * s + consonant, z, gn, ps, x, y.
 */
export const ITALIAN_ARTICLES = ['il', 'lo', 'la', "l'", 'i', 'gli', 'le'] as const;
export type ItalianArticle = (typeof ITALIAN_ARTICLES)[number];

export function italianArticle(name: string, declared?: ItalianArticle): ItalianArticle {
  if (declared) return declared;
  const first = name.trim().split(/\s+/)[0] ?? '';
  const lower = first.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  if (/^[aeiouh]/.test(lower)) return "l'";
  if (/^(s[^aeiou]|z|gn|ps|x|y)/.test(lower)) return first.endsWith('a') ? 'la' : 'lo';
  return lower.endsWith('a') ? 'la' : 'il';
}

const CONTRACTED: Record<'a' | 'da' | 'di', Record<ItalianArticle, string>> = {
  a: { il: 'al ', lo: 'allo ', la: 'alla ', "l'": "all'", i: 'ai ', gli: 'agli ', le: 'alle ' },
  da: { il: 'dal ', lo: 'dallo ', la: 'dalla ', "l'": "dall'", i: 'dai ', gli: 'dagli ', le: 'dalle ' },
  di: { il: 'del ', lo: 'dello ', la: 'della ', "l'": "dell'", i: 'dei ', gli: 'degli ', le: 'delle ' },
};

/** A body's name as Italian sentences use it: with its article, and after "a", "da", "di". */
export function italianForms(name: string, declared?: ItalianArticle) {
  const article = italianArticle(name, declared);
  const withArticle = article === "l'" ? `l'${name}` : `${article} ${name}`;
  return {
    name,
    subject: withArticle.charAt(0).toUpperCase() + withArticle.slice(1),
    to: CONTRACTED.a[article] + name,
    from: CONTRACTED.da[article] + name,
    of: CONTRACTED.di[article] + name,
  };
}
