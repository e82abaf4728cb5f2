import { fuzziness, processTerm, tokenize } from './search-text.ts';

/**
 * A small in-memory full-text index built for the catalog's query mix at 100,000 services: an inverted
 * index whose postings carry a precomputed BM25 weight per document (field boosts folded in), scored
 * into one typed array per search and cut to the top results without sorting every match. Prefix
 * matching uses a sorted vocabulary (binary search); typo tolerance looks only at terms of a similar
 * length that start with the same letter. A general-purpose library (MiniSearch, used before) built
 * result objects for every match, which cost ~15 µs per matching document: 200 ms and more for a
 * common word at 100,000 services.
 */

export type FieldBoosts = Record<string, number>;

interface Posting {
  docs: number[];
  weights: number[];
}

export interface TextHit {
  id: string;
  score: number;
}

/** BM25 parameters (the usual ones) and the weights of inexact matches against exact ones. */
const K1 = 1.2;
const B = 0.7;
const PREFIX_WEIGHT = 0.6;
const FUZZY_WEIGHT = 0.45;
/**
 * A query that is a title (or a run of words in it, in one language) outranks every looser match: the
 * citizen typed the service's name. Multipliers of the score, applied only to documents matching
 * every query term.
 */
const EXACT_TITLE = 8;
const TITLE_PHRASE = 3;
/** At most this many vocabulary terms stand in for one typed prefix or typo. */
const MAX_EXPANSIONS = 64;
/** New terms wait in a small unsorted list, merged into the sorted vocabulary when it grows past this. */
const PENDING_LIMIT = 2048;

/** Two rows of the edit-distance table, reused: a typo lookup compares thousands of terms per search. */
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);

/** Edit distance of a and b when it is at most `max`, else max + 1 (early exit on each row). */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (rowA.length <= b.length) {
    rowA = new Int32Array(b.length * 2);
    rowB = new Int32Array(b.length * 2);
  }
  let previous = rowA;
  let current = rowB;
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      const value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
    [previous, current] = [current, previous];
  }
  return previous[b.length] as number;
}

/**
 * `M` is what a search filter looks at for each document (kept beside it, so filtering a large result
 * touches no other structure).
 */
export function createTextIndex<M>(boosts: FieldBoosts, options: { phraseField?: string } = {}) {
  const fields = Object.keys(boosts);
  const postings = new Map<string, Posting>();
  /** Document slots: a replaced or removed document leaves a dead slot until the next compaction. */
  let ids: string[] = [];
  let live: boolean[] = [];
  let metas: M[] = [];
  /**
   * Each slot's phrase field as processed terms, one "| a b c |" run per language (texts separated by
   * "|" in the field): a query's terms are the title when "| q |" occurs, a phrase of it when " q " does.
   */
  let phrases: string[] = [];
  /** Slots by whole title (processed terms, one language), so an exact title costs one lookup. */
  const titles = new Map<string, number[]>();
  /** Each slot's field lengths, taken out of the averages when the document goes. */
  let lengths: Array<Array<{ field: string; length: number }>> = [];
  const slotOf = new Map<string, number>();
  /** Running average length of each field, for BM25's length normalisation. */
  const lengthSums = new Map<string, number>(fields.map((f) => [f, 0]));
  let documents = 0;
  let sortedTerms: string[] = [];
  let pendingTerms: string[] = [];
  /** Terms by first letter and length, for typo candidates. */
  const buckets = new Map<string, string[]>();
  let scores = new Float64Array(0);
  let matched = new Uint16Array(0);
  /** The slots a search touched, in order (reused from search to search, like the scores). */
  let touched = new Int32Array(0);

  function addTerm(term: string): Posting {
    const posting = { docs: [], weights: [] };
    postings.set(term, posting);
    pendingTerms.push(term);
    const bucket = `${term[0]}${term.length}`;
    const list = buckets.get(bucket);
    if (list) list.push(term);
    else buckets.set(bucket, [term]);
    return posting;
  }

  function vocabulary(): string[] {
    if (pendingTerms.length > 0) {
      sortedTerms = sortedTerms.concat(pendingTerms).sort();
      pendingTerms = [];
    }
    return sortedTerms;
  }

  /** Terms starting with `prefix` (other than itself), shortest first, at most MAX_EXPANSIONS. */
  function withPrefix(prefix: string): string[] {
    const terms = pendingTerms.length > PENDING_LIMIT ? vocabulary() : sortedTerms;
    let low = 0;
    let high = terms.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((terms[mid] as string) < prefix) low = mid + 1;
      else high = mid;
    }
    const found: string[] = [];
    for (let i = low; i < terms.length && (terms[i] as string).startsWith(prefix); i++) {
      if (terms[i] !== prefix) found.push(terms[i] as string);
    }
    for (const term of pendingTerms) if (term !== prefix && term.startsWith(prefix)) found.push(term);
    return found.sort((a, b) => a.length - b.length).slice(0, MAX_EXPANSIONS);
  }

  /** Known terms within the allowed edit distance, with the same first letter. */
  function similar(term: string, max: number): Array<[string, number]> {
    const found: Array<[string, number]> = [];
    for (let length = term.length - max; length <= term.length + max; length++) {
      for (const candidate of buckets.get(`${term[0]}${length}`) ?? []) {
        const distance = boundedDistance(term, candidate, max);
        if (distance <= max) found.push([candidate, distance]);
      }
    }
    return found.sort((a, b) => a[1] - b[1]).slice(0, MAX_EXPANSIONS);
  }

  /** The index terms a query term stands for, each with its weight. */
  function expand(term: string, last: boolean): Map<string, number> {
    const out = new Map<string, number>();
    const known = postings.has(term);
    if (known) out.set(term, 1);
    if (term.length >= 3 && (last || !known)) {
      for (const other of withPrefix(term)) {
        const weight = (PREFIX_WEIGHT * term.length) / (term.length + 0.3 * (other.length - term.length));
        out.set(other, Math.max(out.get(other) ?? 0, weight));
      }
    }
    const max = known ? 0 : fuzziness(term);
    if (max > 0) {
      for (const [other, distance] of similar(term, max)) {
        const weight = (FUZZY_WEIGHT * term.length) / (term.length + distance);
        out.set(other, Math.max(out.get(other) ?? 0, weight));
      }
    }
    return out;
  }

  const termsOf = (text: string) =>
    tokenize(text)
      .map(processTerm)
      .filter((t): t is string => Boolean(t));

  type Analysed = Array<{ field: string; counts: Map<string, number>; length: number }>;

  function analyse(texts: Record<string, string>): Analysed {
    return fields.map((field) => {
      const terms = termsOf(texts[field] ?? '');
      const counts = new Map<string, number>();
      for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
      return { field, counts, length: terms.length };
    });
  }

  /** Adds a document's field lengths to the running sums (BM25's average lengths). */
  function count(analysed: ReadonlyArray<{ field: string; length: number }>, sign: 1 | -1) {
    for (const { field, length } of analysed)
      lengthSums.set(field, (lengthSums.get(field) ?? 0) + sign * length);
  }

  const titlesOf = (texts: Record<string, string>) =>
    options.phraseField
      ? (texts[options.phraseField] ?? '').split('|').map((part) => termsOf(part).join(' '))
      : [];

  function insert(id: string, analysed: Analysed, meta: M, own: string[]) {
    const slot = ids.length;
    ids.push(id);
    live.push(true);
    metas.push(meta);
    phrases.push(own.length > 0 ? `| ${own.join(' | ')} |` : '');
    for (const title of own) {
      const list = titles.get(title);
      if (list) list.push(slot);
      else titles.set(title, [slot]);
    }
    lengths.push(analysed.map(({ field, length }) => ({ field, length })));
    slotOf.set(id, slot);
    documents++;
    const weights = new Map<string, number>();
    for (const { field, counts, length } of analysed) {
      const average = Math.max(1, (lengthSums.get(field) ?? 0) / documents);
      const norm = K1 * (1 - B + (B * length) / average);
      for (const [term, tf] of counts) {
        const weight = ((boosts[field] ?? 1) * tf * (K1 + 1)) / (tf + norm);
        weights.set(term, (weights.get(term) ?? 0) + weight);
      }
    }
    for (const [term, weight] of weights) {
      const posting = postings.get(term) ?? addTerm(term);
      posting.docs.push(slot);
      posting.weights.push(weight);
    }
  }

  function remove(id: string) {
    const slot = slotOf.get(id);
    if (slot === undefined) return;
    live[slot] = false;
    slotOf.delete(id);
    documents--;
    count(lengths[slot] ?? [], -1);
  }

  return {
    get size() {
      return documents;
    },

    has: (id: string) => slotOf.has(id),

    /** Adds (or replaces) a document: one text per field of the boosts. */
    add(id: string, texts: Record<string, string>, meta: M) {
      const analysed = analyse(texts);
      remove(id);
      count(analysed, 1);
      insert(id, analysed, meta, titlesOf(texts));
    },

    /** Adds many documents at once, with the field lengths of all of them known before weighting. */
    addAll(docs: Array<{ id: string; texts: Record<string, string>; meta: M }>) {
      const analysed = docs.map((d) => analyse(d.texts));
      docs.forEach((d) => remove(d.id));
      for (const a of analysed) count(a, 1);
      docs.forEach((d, i) => insert(d.id, analysed[i] as Analysed, d.meta, titlesOf(d.texts)));
      vocabulary();
    },

    remove,

    /** True when a query term is a word of the index (not a typo, not a prefix). */
    knows: (term: string) => postings.has(term),

    /**
     * Documents matching the query, best first: the sum of BM25 scores of the terms (inexact ones
     * weighted down) times the number of query terms matched, times EXACT_TITLE or TITLE_PHRASE when
     * the query is the title or a run of words in it. When some document matches every query term that
     * the index knows (all but one from four terms on), documents matching fewer are left out: "carta
     * identità" does not list everything written "in carta semplice". `accept` filters documents;
     * `total` counts every accepted result; only the first `offset + limit` are ranked.
     */
    search(
      query: string,
      options: { accept?: (meta: M) => boolean; offset: number; limit: number; maxTerms: number },
    ): { total: number; hits: TextHit[] } {
      const tokens = termsOf(query).slice(0, options.maxTerms);
      if (tokens.length === 0) return { total: 0, hits: [] };
      if (scores.length < ids.length) {
        scores = new Float64Array(ids.length * 2);
        matched = new Uint16Array(ids.length * 2);
        touched = new Int32Array(ids.length * 2);
      }
      let touchedCount = 0;
      /** The query terms that matched anything: a word the index does not know cannot be required. */
      let present = 0;
      tokens.forEach((token, i) => {
        const bit = 1 << i;
        for (const [term, weight] of expand(token, i === tokens.length - 1)) {
          const posting = postings.get(term);
          if (!posting) continue;
          present |= bit;
          const df = posting.docs.length;
          const idf = Math.log(1 + (ids.length - df + 0.5) / (df + 0.5));
          const factor = idf * weight;
          const { docs, weights } = posting;
          for (let p = 0; p < docs.length; p++) {
            const slot = docs[p] as number;
            if (matched[slot] === 0) touched[touchedCount++] = slot;
            scores[slot] = (scores[slot] as number) + factor * (weights[p] as number);
            matched[slot] = (matched[slot] as number) | bit;
          }
        }
      });
      const known = popCount(present);
      const required = known >= 4 ? known - 1 : known;
      const exact = new Set(titles.get(tokens.join(' ')));
      // One word is a phrase of every title holding it, which BM25's title weight already favours.
      const phrase = tokens.length > 1 ? ` ${tokens.join(' ')} ` : undefined;
      const wanted = options.offset + options.limit;
      // A first page keeps only its best hits as it goes; a deep page sorts every match once. Weak
      // matches (fewer terms than required) are kept apart, and given only when nothing else matched.
      const keepAll = wanted > 200;
      const strong = { top: [] as TextHit[], total: 0 };
      const weak = { top: [] as TextHit[], total: 0 };
      for (let t = 0; t < touchedCount; t++) {
        const slot = touched[t] as number;
        const terms = popCount(matched[slot] as number);
        let score = (scores[slot] as number) * terms;
        scores[slot] = 0;
        matched[slot] = 0;
        if (!live[slot] || (options.accept && !options.accept(metas[slot] as M))) continue;
        const list = terms >= required ? strong : weak;
        list.total++;
        // Most matches rank below the page: they are counted, and nothing is allocated for them.
        const floor =
          !keepAll && list.top.length >= wanted ? (list.top[list.top.length - 1] as TextHit).score : -1;
        if (exact.has(slot)) score *= EXACT_TITLE;
        else if (
          phrase &&
          terms === tokens.length &&
          score * TITLE_PHRASE > floor &&
          (phrases[slot] as string).includes(phrase)
        )
          score *= TITLE_PHRASE;
        if (score <= floor) continue;
        const hit = { id: ids[slot] as string, score };
        if (keepAll) list.top.push(hit);
        else insertTop(list.top, hit, wanted);
      }
      const chosen = strong.total > 0 ? strong : weak;
      const top = keepAll ? chosen.top.sort((a, b) => b.score - a.score) : chosen.top;
      return { total: chosen.total, hits: top.slice(options.offset, wanted) };
    },

    /** Dead slots outnumbering live ones: worth rebuilding from the live documents. */
    get fragmented() {
      return ids.length > 1000 && ids.length > 2 * documents;
    },

    /** Drops every document and term. */
    clear() {
      postings.clear();
      ids = [];
      live = [];
      metas = [];
      phrases = [];
      titles.clear();
      lengths = [];
      slotOf.clear();
      documents = 0;
      for (const field of fields) lengthSums.set(field, 0);
      sortedTerms = [];
      pendingTerms = [];
      buckets.clear();
    },
  };
}

function popCount(bits: number): number {
  let count = 0;
  for (let b = bits; b !== 0; b &= b - 1) count++;
  return count;
}

/** Keeps `top` as the best `size` hits, best first (ties: the earlier document first). */
function insertTop(top: TextHit[], hit: TextHit, size: number) {
  if (size <= 0) return;
  if (top.length >= size && hit.score <= (top[top.length - 1] as TextHit).score) return;
  let low = 0;
  let high = top.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((top[mid] as TextHit).score >= hit.score) low = mid + 1;
    else high = mid;
  }
  top.splice(low, 0, hit);
  if (top.length > size) top.pop();
}

export type TextIndex = ReturnType<typeof createTextIndex>;
