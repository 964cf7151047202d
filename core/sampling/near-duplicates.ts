// Drops near-duplicate inputs from a labeling sample: ten copies of the same templated
// question teach a labeler nothing the first did not, and they crowd out other traffic.
// Candidates come in pick order (seeded, see ./seeded-order), so which copy survives is
// as random and as reproducible as the pick itself.
import { featuresSimilarity, similarityFeatures, type SimilarityFeatures } from '../text/normalize';

/**
 * Similarity at or above which two inputs count as the same request. High on purpose:
 * it merges politeness and inflection variants ("cancel my subscription" / "I want to
 * cancel my subscription please" ≈ 0.95, "my app crashes when I open settings" / "my
 * app crashed when opening settings" ≈ 0.90) but keeps requests that differ in what
 * they are about ("weather in Paris" / "weather in London" ≈ 0.67, "refund for order
 * 1234" / "… 5678" ≈ 0.69). Rephrase detection uses a much lower 0.6: a rephrase is the
 * same need, a near-duplicate is the same text.
 */
export const NEAR_DUPLICATE_THRESHOLD = 0.9;

export interface DedupeCandidate {
  traceId: string;
  input: string;
}

/**
 * `duplicate_trace`: the same trace id was already kept; `duplicate`: the input
 * normalises to the same text as a kept one; `near_duplicate`: similarity >= threshold.
 */
export type ExclusionReason = 'duplicate_trace' | 'duplicate' | 'near_duplicate';

export interface ExcludedCandidate {
  traceId: string;
  reason: ExclusionReason;
  /** The kept trace it duplicates (for `near_duplicate`, the most similar kept one). */
  duplicateOf: string;
  /** Similarity to `duplicateOf`, in [0, 1]; 1 for `duplicate` and `duplicate_trace`. */
  similarity: number;
}

export interface DedupeResult<T extends DedupeCandidate> {
  /** Kept candidates, in input order. */
  kept: T[];
  /** Dropped candidates, in input order. */
  excluded: ExcludedCandidate[];
}

export interface DedupeOptions {
  /** Default {@link NEAR_DUPLICATE_THRESHOLD}; must be in (0, 1]. */
  threshold?: number;
}

/** A candidate of one sample cell (`group`) that should end up with `quota` kept traces. */
export interface GroupedCandidate extends DedupeCandidate {
  group: string;
  quota: number;
}

// The kept set so far: exact keys for O(1) duplicate checks, normalised texts for the
// O(k) near-duplicate scan.
function createDistinctSet(threshold: number) {
  if (!(threshold > 0 && threshold <= 1)) {
    throw new RangeError(`near-duplicate threshold must be in (0, 1], got ${threshold}`);
  }
  const keptIds = new Set<string>();
  const byKey = new Map<string, string>();
  // Features (normalised text, stems, trigrams) computed once per kept input.
  const keptTexts: { traceId: string; features: SimilarityFeatures }[] = [];

  /** Why `c` duplicates a kept candidate, or null (then it has been added to the set). */
  return function admit(c: DedupeCandidate): ExcludedCandidate | null {
    const { traceId } = c;
    if (keptIds.has(traceId)) return { traceId, reason: 'duplicate_trace', duplicateOf: traceId, similarity: 1 };
    // The exact-duplicate key is the normalised text (nearDuplicateKey), computed once with the rest.
    const features = similarityFeatures(c.input);
    const key = features.normalized;
    // An input with no content left after normalisation is nobody's duplicate.
    if (key !== '') {
      const same = byKey.get(key);
      if (same !== undefined) return { traceId, reason: 'duplicate', duplicateOf: same, similarity: 1 };
      let best: { traceId: string; score: number } | null = null;
      for (const k of keptTexts) {
        const score = featuresSimilarity(features, k.features).score;
        // Strictly greater: on a tie the earlier kept trace is reported.
        if (score >= threshold && (best === null || score > best.score)) best = { traceId: k.traceId, score };
      }
      if (best !== null) {
        return { traceId, reason: 'near_duplicate', duplicateOf: best.traceId, similarity: best.score };
      }
      byKey.set(key, traceId);
      keptTexts.push({ traceId, features });
    }
    keptIds.add(traceId);
    return null;
  };
}

/**
 * Walks the candidates in order and keeps each one unless its input equals (after
 * normalisation) or is near-duplicate of an input already kept. Inputs that normalise to
 * the empty string (only punctuation, blank) are always kept: there is no content to
 * call a duplicate. O(k²) similarity checks, fine for a sample of a few hundred.
 */
export function dropNearDuplicates<T extends DedupeCandidate>(
  candidates: readonly T[],
  options: DedupeOptions = {},
): DedupeResult<T> {
  const admit = createDistinctSet(options.threshold ?? NEAR_DUPLICATE_THRESHOLD);
  const kept: T[] = [];
  const excluded: ExcludedCandidate[] = [];
  for (const c of candidates) {
    const why = admit(c);
    if (why === null) kept.push(c);
    else excluded.push(why);
  }
  return { kept, excluded };
}

/**
 * Like {@link dropNearDuplicates} over over-fetched cells: candidates of every cell in
 * pick order, each cell keeping its first `quota` distinct ones, so a dropped duplicate
 * is replaced by the cell's next candidate. Duplicates are checked across cells (a
 * baseline trace can duplicate a stratum trace). Candidates after a cell is full are
 * neither kept nor excluded; a cell with too few distinct candidates keeps fewer.
 */
export function keepDistinctCandidates<T extends GroupedCandidate>(
  candidates: readonly T[],
  options: DedupeOptions = {},
): DedupeResult<T> {
  const admit = createDistinctSet(options.threshold ?? NEAR_DUPLICATE_THRESHOLD);
  const kept: T[] = [];
  const excluded: ExcludedCandidate[] = [];
  const perGroup = new Map<string, number>();
  for (const c of candidates) {
    const n = perGroup.get(c.group) ?? 0;
    if (n >= c.quota) continue;
    const why = admit(c);
    if (why === null) {
      kept.push(c);
      perGroup.set(c.group, n + 1);
    } else {
      excluded.push(why);
    }
  }
  return { kept, excluded };
}

/** One line per excluded candidate, for run reports. */
export function describeExclusion(e: ExcludedCandidate): string {
  switch (e.reason) {
    case 'duplicate_trace':
      return `${e.traceId}: listed twice`;
    case 'duplicate':
      return `${e.traceId}: same input as ${e.duplicateOf} after normalisation`;
    case 'near_duplicate':
      return `${e.traceId}: near-duplicate of ${e.duplicateOf} (similarity ${e.similarity.toFixed(3)})`;
  }
}
