// Text normalisation and similarity used for rephrase detection and near-duplicate
// dedupe. Pure functions only: no I/O, no clocks, no randomness.

// Marks after letters of these scripts are accents ("é" → "e"); in other scripts
// (Devanagari, Thai, Arabic harakat...) combining marks carry meaning, so we keep them.
const ACCENTED_LETTER_MARKS = /([\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])\p{M}+/gu;
// Apostrophes are removed without a gap so "don't" and "dont" become the same token.
const APOSTROPHES = /['\u2018\u2019\u02BC\uFF07`]/gu;
// Punctuation and non-emoji symbols become word breaks. \p{So} (emoji, ©) is kept:
// "👍" alone is real content and should not normalise to the empty string.
const PUNCTUATION_AND_SYMBOLS = /[\p{P}\p{Sm}\p{Sc}\p{Sk}]/gu;
// Invisible format/control characters (ZWJ, RTL marks, BOM, variation selectors) are
// dropped so visually identical strings compare equal.
const INVISIBLES = /[\p{Cf}\uFE00-\uFE0F]/gu;
const CONTROLS = /\p{Cc}/gu;
const WHITESPACE = /\s+/gu;

/**
 * Canonical form for comparison: NFKC (fold full-width/compatibility forms), lowercase,
 * accents removed for Latin/Greek/Cyrillic, punctuation → space, whitespace collapsed.
 * Idempotent: normalizeText(normalizeText(s)) === normalizeText(s).
 */
export function normalizeText(s: string): string {
  if (ASCII_ONLY.test(s)) return normalizeAscii(s);
  let t = s;
  // Repeat until stable (normally 1–2 passes): removing a mark or symbol can expose a new
  // NFKC/lowercase mapping, and idempotence is what makes the dedupe key trustworthy.
  for (let pass = 0; pass < 4; pass++) {
    const next = normalizeOnce(t);
    if (next === t) break;
    t = next;
  }
  return t;
}

// For ASCII (most traffic) the rules above come down to this: NFKC and NFD change nothing,
// there are no marks or format characters, every ASCII punctuation or symbol character is
// \p{P}, \p{Sm}, \p{Sc} or \p{Sk}, and the result ([a-z0-9 ]) is already stable, so one
// pass without the Unicode normalisations gives the same string (test/core/text checks it
// against the general path).
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const ASCII_APOSTROPHES = /['`]/g;
const ASCII_BREAKS = /[!-&(-/:-@[-_{-~\x00-\x1f\x7f]/g;
const ASCII_SPACES = /\s+/g;

function normalizeAscii(s: string): string {
  return s.toLowerCase().replace(ASCII_APOSTROPHES, '').replace(ASCII_BREAKS, ' ').replace(ASCII_SPACES, ' ').trim();
}

function normalizeOnce(s: string): string {
  return (
    s
      .normalize('NFKC')
      .toLowerCase()
      // Lowercasing can produce decomposed sequences ("İ" → "i̇"), so decompose after it.
      .normalize('NFD')
      .replace(ACCENTED_LETTER_MARKS, '$1')
      .normalize('NFKC')
      .replace(INVISIBLES, '')
      .replace(APOSTROPHES, '')
      .replace(PUNCTUATION_AND_SYMBOLS, ' ')
      .replace(CONTROLS, ' ')
      .replace(WHITESPACE, ' ')
      .trim()
  );
}

/** Key for exact-after-normalisation dedupe: two strings share a key iff they normalise equal. */
export function nearDuplicateKey(s: string): string {
  return normalizeText(s);
}

/** Word tokens of the normalised text (in order, duplicates kept). */
export function wordTokens(s: string): string[] {
  const n = normalizeText(s);
  return n === '' ? [] : n.split(' ');
}

/**
 * Character n-gram shingles (default trigrams) of the normalised text, padded with a
 * space on each side so short strings and word boundaries still produce shingles.
 * Iterates by code point so emoji and astral characters are never split.
 */
export function tokenShingles(s: string, n = 3): Set<string> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`shingle size must be a positive integer, got ${n}`);
  return shinglesOfNormalized(normalizeText(s), n);
}

const SURROGATE = /[\uD800-\uDFFF]/;

function shinglesOfNormalized(norm: string, n: number): Set<string> {
  const out = new Set<string>();
  if (norm === '') return out;
  const padded = ` ${norm} `;
  // Without surrogate pairs every code point is one code unit: slice the string directly.
  if (!SURROGATE.test(padded)) {
    if (padded.length <= n) out.add(padded);
    else for (let i = 0; i + n <= padded.length; i++) out.add(padded.slice(i, i + n));
    return out;
  }
  const chars = Array.from(padded);
  if (chars.length <= n) {
    out.add(chars.join(''));
    return out;
  }
  for (let i = 0; i + n <= chars.length; i++) out.add(chars.slice(i, i + n).join(''));
  return out;
}

// English function words: they make "how do I reset my password" look similar to
// "how do I change my email", so they count for a tenth of a content word. Not
// dropped entirely: a message made only of them must still match itself.
const STOPWORDS = new Set(
  (
    'a an the i me my mine myself you your yours we us our it its is are am was were be been being ' +
    'do does did doing can could would should will shall may might must how what whats why when where ' +
    'which who whom to of in on for with at by from as into about and or but so if then than this ' +
    'that these those there here please pls plz hi hello hey thanks thank thx ok okay just also too ' +
    'want wanna need like im id ive dont cant not no yes any some get got have has had let lets ' +
    'way again still now'
  ).split(' '),
);
// Integer weights (content = 10, stopword = 1) keep the sums exact, so similarity(a, b)
// and similarity(b, a) agree to the last bit whatever order the sets are walked in.
const CONTENT_WEIGHT = 10;
const STOPWORD_WEIGHT = 1;

// Crude English suffix stripping so "charged"/"charge" and "crashes"/"crashing" share a
// token. Only for plain a–z words of 4+ letters; other scripts pass through untouched.
const STEM_SUFFIXES = ['ing', 'ed', 'es', 's'] as const;
function stem(t: string): string {
  if (t.length < 4 || !/^[a-z]+$/.test(t)) return t;
  let s = t;
  for (const suffix of STEM_SUFFIXES) {
    if (!s.endsWith(suffix) || s.length - suffix.length < 3) continue;
    if (suffix === 's' && s.endsWith('ss')) break; // "address", "access"
    s = s.slice(0, -suffix.length);
    break;
  }
  return s.length > 3 && s.endsWith('e') ? s.slice(0, -1) : s;
}

// Stemmed word set with weights; a stem counts fully if any of its surface forms is a
// content word.
function weightedStems(normalized: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const token of normalized.split(' ')) {
    const w = STOPWORDS.has(token) ? STOPWORD_WEIGHT : CONTENT_WEIGHT;
    const key = stem(token);
    out.set(key, Math.max(w, out.get(key) ?? 0));
  }
  return out;
}

// Trigrams are taken over content words only: otherwise a shared question template
// ("how do I reset my …") makes follow-ups on the same topic look like rephrases.
// Falls back to the full text when every word is a stopword.
function contentWords(normalized: string): string {
  const kept = normalized.split(' ').filter((t) => !STOPWORDS.has(t));
  return kept.length > 0 ? kept.join(' ') : normalized;
}

/** Components of {@link similarity}, exposed so signal derivations can explain a score. */
export interface SimilarityBreakdown {
  /** Stopword-weighted Dice coefficient on (lightly stemmed) word sets. */
  readonly words: number;
  /** Dice coefficient on character-trigram sets of the content words. */
  readonly trigrams: number;
  /** Blend of the two, in [0, 1]. */
  readonly score: number;
}

// Weighted Dice: 2·w(A∩B) / (w(A) + w(B)). Dice rather than Jaccard because rephrases
// are often expansions ("cancel my subscription" → "I want to cancel my subscription
// please"); Jaccard punishes the added words twice as hard.
// A shared token counts with the smaller of its two weights, which keeps the measure
// symmetric when a stem is a stopword on one side only.
function weightedDice(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let wa = 0;
  let wb = 0;
  let both = 0;
  for (const [t, w] of a) {
    wa += w;
    const other = b.get(t);
    if (other !== undefined) both += Math.min(w, other);
  }
  for (const w of b.values()) wb += w;
  return wa + wb === 0 ? 0 : (2 * both) / (wa + wb);
}

function dice<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): number {
  if (a.size + b.size === 0) return 0;
  let both = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const t of small) if (large.has(t)) both++;
  return (2 * both) / (a.size + b.size);
}

// An ASCII trigram as one small integer (7 bits a character), which V8 stores and hashes
// without allocating: about twice as fast to collect as substrings. Same trigrams, same sets.
function asciiTrigramCodes(padded: string): Set<number> {
  const out = new Set<number>();
  let code = (padded.charCodeAt(0) << 7) | padded.charCodeAt(1);
  for (let i = 2; i < padded.length; i++) {
    code = ((code & 0x3fff) << 7) | padded.charCodeAt(i);
    out.add(code);
  }
  return out;
}
const asciiTrigramText = (code: number): string => String.fromCharCode(code >> 14, (code >> 7) & 0x7f, code & 0x7f);

type TrigramSet = { readonly ascii: true; readonly set: ReadonlySet<number> } | { readonly ascii: false; readonly set: ReadonlySet<string> };

function trigramDice(a: TrigramSet, b: TrigramSet): number {
  if (a.ascii && b.ascii) return dice(a.set, b.set);
  const text = (t: TrigramSet): ReadonlySet<string> => (t.ascii ? new Set([...t.set].map(asciiTrigramText)) : t.set);
  return dice(text(a), text(b));
}

function contentTrigrams(normalized: string): TrigramSet {
  const words = contentWords(normalized);
  const padded = ` ${words} `;
  // A non-empty text padded is at least three characters long.
  return ASCII_ONLY.test(padded) ? { ascii: true, set: asciiTrigramCodes(padded) } : { ascii: false, set: shinglesOfNormalized(words, 3) };
}

// Word overlap carries meaning (which nouns/verbs match); trigrams forgive typos and
// inflection ("crashing"/"crashes", "pasword"). Words get the larger share: which
// content words match says more about intent than spelling overlap does. Weights and
// the rephrase threshold were tuned together (see test/core/signals).
const WORD_WEIGHT = 0.6;
const TRIGRAM_WEIGHT = 0.4;

/** What {@link similarity} computes from one text, computed once for many comparisons. */
export interface SimilarityFeatures {
  readonly normalized: string;
  readonly stems: ReadonlyMap<string, number>;
  readonly trigrams: TrigramSet;
}

export function similarityFeatures(s: string): SimilarityFeatures {
  const normalized = normalizeText(s);
  return normalized === ''
    ? { normalized, stems: new Map(), trigrams: { ascii: true, set: new Set() } }
    : { normalized, stems: weightedStems(normalized), trigrams: contentTrigrams(normalized) };
}

/** {@link similarityBreakdown} of two texts' features. */
export function featuresSimilarity(a: SimilarityFeatures, b: SimilarityFeatures): SimilarityBreakdown {
  // Nothing left after normalisation (only punctuation/whitespace): no evidence of
  // shared content, so not similar — even to another empty string.
  if (a.normalized === '' || b.normalized === '') return { words: 0, trigrams: 0, score: 0 };
  if (a.normalized === b.normalized) return { words: 1, trigrams: 1, score: 1 };
  const words = weightedDice(a.stems, b.stems);
  const trigrams = trigramDice(a.trigrams, b.trigrams);
  const score = Math.min(1, Math.max(0, WORD_WEIGHT * words + TRIGRAM_WEIGHT * trigrams));
  return { words, trigrams, score };
}

/** Like {@link similarity} but also returns the word and trigram components. */
export function similarityBreakdown(a: string, b: string): SimilarityBreakdown {
  return featuresSimilarity(similarityFeatures(a), similarityFeatures(b));
}

/**
 * Similarity of two texts after normalisation, in [0, 1]:
 *   0.6 × Dice on lightly stemmed word sets, stopwords weighted 1/10 of content words
 * + 0.4 × Dice on character trigrams of the content words.
 * Dice (not Jaccard) because rephrases are often expansions of the original; trigrams
 * catch typos and inflections the word sets miss. Symmetric; 1 for texts that normalise
 * equal (and are non-empty); 0 when either side normalises to the empty string.
 */
export function similarity(a: string, b: string): number {
  return similarityBreakdown(a, b).score;
}
