// Turns a labelled production trace into eval-case content. Reviewers' labels are kept
// whole: when they disagree we record both and flag the case for adjudication instead of
// quietly picking a winner, because a silently chosen label becomes ground truth.
import { DIMENSIONS } from '../stats/agreement';
import type { CaseLabel, EvalCaseContent, LabelledItem } from './types';

/**
 * Failure categories that put a case in the regression set even when every reviewer
 * passed it: a hallucination or a wrong tool call noted on a "pass" is still a real
 * failure we never want to see again.
 */
export const DEFAULT_SEVERE_CATEGORIES: readonly string[] = ['hallucination', 'wrong_tool_call'];

/**
 * Two labels whose scores on any one dimension differ by this much or more (on the 1..5
 * scale) need a human to adjudicate, even when their verdicts agree: "2" and "4" on
 * correctness is not agreement, and averaging would hide it. A 1-step gap is ordinary
 * rater noise and is not flagged.
 */
export const ADJUDICATION_SCORE_GAP = 2;

/** Case key of a trace-derived case: stable across versions and re-merges of the same trace. */
export function caseKeyForTrace(externalId: string): string {
  return `trace:${externalId}`;
}

/**
 * Builds the case content for one labelled item.
 *
 * - `verdict`: the verdict every label agrees on; null (and `needsAdjudication`) when they
 *   differ. A case with no label at all also gets null + `needsAdjudication`: nothing was
 *   agreed, so a human has to decide.
 * - `needsAdjudication` is also set when two labels differ by >= {@link ADJUDICATION_SCORE_GAP}
 *   on any dimension (the agreed verdict is kept), and when failing labels name different
 *   failure categories.
 * - `failureCategory`: taken from the labels that *fail* the answer (a category on a pass
 *   label does not describe the case's failure). If they all name the same category (or
 *   only one failing label names one — e.g. one reviewer fails, the other passes) that
 *   category is used, so the failing reviewer's reading is visible; the case is flagged
 *   anyway by the verdict disagreement. Different categories → null + adjudication.
 * - `expected`: the first label (in label order) with a non-blank `expected`, verbatim.
 * - `labels`: every label, copied in full and in order.
 */
export function buildCaseFromItem(item: LabelledItem): EvalCaseContent {
  const labels = item.labels.map(copyLabel);
  const verdicts = new Set(labels.map((l) => l.verdict));
  const verdict = verdicts.size === 1 ? labels[0]!.verdict : null;

  const failCategories = new Set(
    labels.filter((l) => l.verdict === 'fail' && l.failureCategory !== null).map((l) => l.failureCategory as string),
  );
  const failureCategory = failCategories.size === 1 ? [...failCategories][0]! : null;

  const needsAdjudication = verdict === null || hasLargeScoreGap(labels) || failCategories.size > 1;
  const expected = labels.find((l) => l.expected !== null && l.expected.trim() !== '')?.expected ?? null;

  return {
    caseKey: caseKeyForTrace(item.externalId),
    input: item.input,
    sessionContext: item.sessionContext.map((t) => ({ input: t.input, output: t.output })),
    retrievedContext: item.retrievedContext.map((c) => ({ id: c.id, text: c.text })),
    output: item.output,
    expected,
    labels,
    verdict,
    failureCategory,
    slice: { ...item.slice },
    needsAdjudication,
    sourceTraceId: item.traceId,
    sourceRunId: item.runId,
  };
}

/** True when some pair of labels is >= ADJUDICATION_SCORE_GAP apart on some dimension. */
export function hasLargeScoreGap(labels: readonly CaseLabel[]): boolean {
  if (labels.length < 2) return false;
  return DIMENSIONS.some((d) => {
    const scores = labels.map((l) => l.scores[d]);
    return Math.max(...scores) - Math.min(...scores) >= ADJUDICATION_SCORE_GAP;
  });
}

/**
 * Regression membership: any label fails the answer, the case's own verdict is fail
 * (imported cases may carry no labels), or any label / the case names a severe category.
 * Categories compare trimmed and case-insensitively so "Hallucination " still counts.
 */
export function belongsInRegression(
  c: EvalCaseContent,
  severeCategories: readonly string[] = DEFAULT_SEVERE_CATEGORIES,
): boolean {
  const severe = new Set(severeCategories.map(canonicalCategory));
  const isSevere = (category: string | null) => category !== null && severe.has(canonicalCategory(category));
  if (c.verdict === 'fail' || isSevere(c.failureCategory)) return true;
  return c.labels.some((l) => l.verdict === 'fail' || isSevere(l.failureCategory));
}

function canonicalCategory(category: string): string {
  return category.trim().toLowerCase();
}

// Deep copy so later edits to the source item cannot reach into stored case content.
function copyLabel(l: CaseLabel): CaseLabel {
  return {
    reviewerId: l.reviewerId,
    scores: { ...l.scores },
    verdict: l.verdict,
    failureCategory: l.failureCategory,
    expected: l.expected,
    notes: l.notes,
  };
}
