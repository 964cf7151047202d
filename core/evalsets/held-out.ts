// The held-out rule as code. The regression set is how we know a judge still catches the
// failures we have seen; if its cases become few-shot examples or shape rubric edits, the
// judge is graded on its own training data and the regression score stops meaning anything.
// So every path that collects tuning material goes through here and fails loudly.
import type { EvalSetKind } from './types';

/** Set kinds whose cases may be used to tune a judge. An allowlist, so an unknown kind is held out. */
export const TUNABLE_SET_KINDS: readonly EvalSetKind[] = ['production', 'custom'];

export class HeldOutViolation extends Error {
  override readonly name = 'HeldOutViolation';
  /** Names of the offending sets. */
  readonly setNames: readonly string[];

  constructor(message: string, setNames: readonly string[]) {
    super(message);
    this.setNames = setNames;
  }
}

export interface SetRef {
  kind: EvalSetKind;
  name: string;
}

function violationMessage(set: SetRef): string {
  if (set.kind === 'regression') {
    return (
      `eval set "${set.name}" is a regression set and is held out: it may be evaluated against ` +
      'but never used to tune a judge (few-shot examples, rubric edits)'
    );
  }
  return (
    `eval set "${set.name}" has unknown kind ${JSON.stringify(set.kind)} and is treated as held out: ` +
    'it may be evaluated against but never used to tune a judge (few-shot examples, rubric edits)'
  );
}

/** Throws {@link HeldOutViolation} unless `set` may be used as tuning material. */
export function assertTuningSource(set: SetRef): void {
  if (!TUNABLE_SET_KINDS.includes(set.kind)) throw new HeldOutViolation(violationMessage(set), [set.name]);
}

/**
 * The cases of `sets`, in order, for use as tuning material (few-shot examples, rubric
 * work). Throws {@link HeldOutViolation} naming every held-out set if any is passed —
 * before returning anything, so no caller can take a partial result.
 *
 * Note: a failing trace is in both the production and the regression set. To keep
 * those copies out of tuning too, filter the result with {@link excludeHeldOutCases}.
 */
export function tuningExamplesFrom<T>(sets: readonly (SetRef & { cases: readonly T[] })[]): T[] {
  const heldOut = sets.filter((s) => !TUNABLE_SET_KINDS.includes(s.kind));
  if (heldOut.length > 0) {
    const message = heldOut.map(violationMessage).join('; ');
    throw new HeldOutViolation(message, heldOut.map((s) => s.name));
  }
  return sets.flatMap((s) => [...s.cases]);
}

/**
 * Drops tuning cases whose caseKey is also in a held-out set (e.g. the production copy
 * of a regression case). `heldOutSets` must all be held out; passing a tunable set here
 * is a mix-up and throws, since it would silently drop legitimate examples.
 */
export function excludeHeldOutCases<T extends { caseKey: string }>(
  cases: readonly T[],
  heldOutSets: readonly (SetRef & { cases: readonly { caseKey: string }[] })[],
): T[] {
  const wrong = heldOutSets.filter((s) => TUNABLE_SET_KINDS.includes(s.kind));
  if (wrong.length > 0) {
    throw new RangeError(`excludeHeldOutCases expects held-out sets only, got ${wrong.map((s) => `"${s.name}" (${s.kind})`).join(', ')}`);
  }
  const heldOutKeys = new Set(heldOutSets.flatMap((s) => s.cases.map((c) => c.caseKey)));
  return cases.filter((c) => !heldOutKeys.has(c.caseKey));
}
