// The text normalisation and similarity of core/text/normalize.ts as they were before its
// fast paths (ASCII normalisation, code-unit shingles), kept verbatim as the oracle the
// fast paths must agree with (normalize-fast-paths.test.ts).

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



/**
 * Character n-gram shingles (default trigrams) of the normalised text, padded with a
 * space on each side so short strings and word boundaries still produce shingles.
 * Iterates by code point so emoji and astral characters are never split.
 */
export function tokenShingles(s: string, n = 3): Set<string> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`shingle size must be a positive integer, got ${n}`);
  return shinglesOfNormalized(normalizeText(s), n);
}

function shinglesOfNormalized(norm: string, n: number): Set<string> {
  const out = new Set<string>();
  if (norm === '') return out;
  const chars = Array.from(` ${norm} `);
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
interface SimilarityBreakdown {
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

function dice(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size + b.size === 0) return 0;
  let both = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const t of small) if (large.has(t)) both++;
  return (2 * both) / (a.size + b.size);
}

// Word overlap carries meaning (which nouns/verbs match); trigrams forgive typos and
// inflection ("crashing"/"crashes", "pasword"). Words get the larger share: which
// content words match says more about intent than spelling overlap does. Weights and
// the rephrase threshold were tuned together (see test/core/signals).
const WORD_WEIGHT = 0.6;
const TRIGRAM_WEIGHT = 0.4;

/** What {@link similarity} computes from one text, computed once for many comparisons. */
interface SimilarityFeatures {
  readonly normalized: string;
  readonly stems: ReadonlyMap<string, number>;
  readonly trigrams: ReadonlySet<string>;
}

function similarityFeatures(s: string): SimilarityFeatures {
  const normalized = normalizeText(s);
  return normalized === ''
    ? { normalized, stems: new Map(), trigrams: new Set() }
    : { normalized, stems: weightedStems(normalized), trigrams: shinglesOfNormalized(contentWords(normalized), 3) };
}

/** {@link similarityBreakdown} of two texts' features. */
function featuresSimilarity(a: SimilarityFeatures, b: SimilarityFeatures): SimilarityBreakdown {
  // Nothing left after normalisation (only punctuation/whitespace): no evidence of
  // shared content, so not similar — even to another empty string.
  if (a.normalized === '' || b.normalized === '') return { words: 0, trigrams: 0, score: 0 };
  if (a.normalized === b.normalized) return { words: 1, trigrams: 1, score: 1 };
  const words = weightedDice(a.stems, b.stems);
  const trigrams = dice(a.trigrams, b.trigrams);
  const score = Math.min(1, Math.max(0, WORD_WEIGHT * words + TRIGRAM_WEIGHT * trigrams));
  return { words, trigrams, score };
}

/** Like {@link similarity} but also returns the word and trigram components. */
export function similarityBreakdown(a: string, b: string): SimilarityBreakdown {
  return featuresSimilarity(similarityFeatures(a), similarityFeatures(b));
}

