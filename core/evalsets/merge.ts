// Plans how new candidate cases merge into an eval set's latest version. Pure: the
// caller writes the version. Deduplication keeps a set from filling up with copies of one
// templated request, which would over-weight it in every score computed on the set.
import { NEAR_DUPLICATE_THRESHOLD } from '../sampling/near-duplicates';
import { nearDuplicateKey, normalizeText, similarity } from '../text/normalize';
import { caseContentHash } from './content-hash';
import type { EvalCaseContent } from './types';

/** A case of the set's latest version, as the merge needs it. */
export interface ExistingCase {
  caseKey: string;
  input: string;
  contentHash: string;
  retired: boolean;
}

export interface SkippedCase {
  caseKey: string;
  /** "unchanged", "duplicate: ...", or "near-duplicate (0.93) of trace:abc". */
  reason: string;
}

export interface MergePlan {
  /** New cases, in candidate order. */
  add: EvalCaseContent[];
  /** Cases whose caseKey is already active in the set but whose content differs. */
  change: EvalCaseContent[];
  skipped: SkippedCase[];
}

export interface MergeOptions {
  /** Near-duplicate similarity threshold, in (0, 1]; default {@link NEAR_DUPLICATE_THRESHOLD} (0.9). */
  threshold?: number;
}

/**
 * Rules, applied to candidates in order (the first of a group wins):
 *
 * 1. A caseKey already seen among this batch's candidates → skipped ("duplicate: caseKey
 *    listed twice"); the first one is the one planned.
 * 2. caseKey matches an *active* (non-retired) case of the set:
 *    same content hash → skipped "unchanged"; different hash → `change` (a relabel or a
 *    corrected label replaces the case; no dedupe, it is already in the set).
 * 3. Otherwise the input is compared with every active case's input and every candidate
 *    already added in this batch:
 *    - same input after {@link normalizeText} (case, punctuation, accents, whitespace) →
 *      skipped "duplicate: same normalised input as <key>";
 *    - {@link similarity} >= threshold (default 0.9, the sampler's near-duplicate bar:
 *      merges politeness/inflection variants, keeps "weather in Paris" vs "London") →
 *      skipped "near-duplicate (<score, 2 dp>) of <most similar key>".
 *    Otherwise → `add`.
 *
 * Retired cases are ignored entirely: their inputs do not block new cases, and a
 * candidate with a retired case's key is added back (the request is live again).
 * Inputs that normalise to "" (only punctuation/blank) are nobody's duplicate.
 * Cost is O(candidates × (active + added)) similarity calls.
 */
export function planMerge(
  existing: readonly ExistingCase[],
  candidates: readonly EvalCaseContent[],
  options: MergeOptions = {},
): MergePlan {
  const threshold = options.threshold ?? NEAR_DUPLICATE_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new RangeError(`near-duplicate threshold must be in (0, 1], got ${threshold}`);
  }

  const active = new Map<string, ExistingCase>();
  for (const e of existing) if (!e.retired) active.set(e.caseKey, e);

  // Inputs already in the set (or planned into it), keyed by caseKey so a changed case
  // replaces its own entry. Normalised once; similarity() re-normalising is a no-op.
  const pool = new Map<string, { key: string; text: string }>();
  const byNormalised = new Map<string, string>();
  const admit = (caseKey: string, input: string) => {
    const key = nearDuplicateKey(input);
    const previous = pool.get(caseKey);
    if (previous !== undefined && byNormalised.get(previous.key) === caseKey) byNormalised.delete(previous.key);
    pool.set(caseKey, { key, text: normalizeText(input) });
    if (key !== '' && !byNormalised.has(key)) byNormalised.set(key, caseKey);
  };
  for (const e of active.values()) admit(e.caseKey, e.input);

  const plan: MergePlan = { add: [], change: [], skipped: [] };
  const seenKeys = new Set<string>();
  for (const c of candidates) {
    if (seenKeys.has(c.caseKey)) {
      plan.skipped.push({ caseKey: c.caseKey, reason: 'duplicate: caseKey listed twice in this merge' });
      continue;
    }
    seenKeys.add(c.caseKey);

    const current = active.get(c.caseKey);
    if (current !== undefined) {
      if (caseContentHash(c) === current.contentHash) {
        plan.skipped.push({ caseKey: c.caseKey, reason: 'unchanged' });
      } else {
        plan.change.push(c);
        admit(c.caseKey, c.input);
      }
      continue;
    }

    const why = duplicateReason(c, pool, byNormalised, threshold);
    if (why !== null) {
      plan.skipped.push({ caseKey: c.caseKey, reason: why });
      continue;
    }
    plan.add.push(c);
    admit(c.caseKey, c.input);
  }
  return plan;
}

function duplicateReason(
  c: EvalCaseContent,
  pool: ReadonlyMap<string, { key: string; text: string }>,
  byNormalised: ReadonlyMap<string, string>,
  threshold: number,
): string | null {
  const key = nearDuplicateKey(c.input);
  if (key === '') return null;
  const same = byNormalised.get(key);
  if (same !== undefined) return `duplicate: same normalised input as ${same}`;
  let best: { caseKey: string; score: number } | null = null;
  for (const [caseKey, entry] of pool) {
    if (entry.key === '') continue;
    const score = similarity(key, entry.text);
    // Strictly greater on ties: the earliest (existing before new) case is named.
    if (score >= threshold && (best === null || score > best.score)) best = { caseKey, score };
  }
  return best === null ? null : `near-duplicate (${best.score.toFixed(2)}) of ${best.caseKey}`;
}
