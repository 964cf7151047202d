// Reconciling the two orders of a pairwise comparison. Every pair is judged twice, once
// with the candidate as Answer A and once as Answer B; a judge that prefers a position
// rather than an answer gives verdicts that disagree between the orders. Such a pair
// counts as a tie (as in MT-Bench's "inconsistent counted as tie"), never as a win.
import type { PositionalVerdict } from '../judge/parse-pairwise-verdict';

/** Where the candidate's answer was shown in one judge call. */
export type CandidatePosition = 'A' | 'B';

/** What one call's verdict says, in the candidate's terms. */
export type Preference = 'candidate' | 'production' | 'tie';

export type PairOutcome = 'win' | 'tie' | 'loss';

export interface ReconciledPair {
  /** null when an order has no verdict (the judge failed): the pair stays out of win / tie / loss. */
  outcome: PairOutcome | null;
  /** Both orders have a verdict and they disagree; the outcome is then a tie. */
  inconsistent: boolean;
  /** Both orders were decisive for the same position: the verdict reversed with the order. */
  reversed: boolean;
}

export function preferenceOf(winner: PositionalVerdict, candidatePosition: CandidatePosition): Preference {
  if (winner === 'tie') return 'tie';
  return winner === candidatePosition ? 'candidate' : 'production';
}

const OUTCOME: Record<Preference, PairOutcome> = { candidate: 'win', production: 'loss', tie: 'tie' };

/**
 * @param candidateFirst the verdict with the candidate as Answer A (null: no verdict)
 * @param productionFirst the verdict with the production answer as Answer A (null: no verdict)
 */
export function reconcileBothOrders(candidateFirst: PositionalVerdict | null, productionFirst: PositionalVerdict | null): ReconciledPair {
  if (candidateFirst === null || productionFirst === null) return { outcome: null, inconsistent: false, reversed: false };
  const first = preferenceOf(candidateFirst, 'A');
  const second = preferenceOf(productionFirst, 'B');
  if (first === second) return { outcome: OUTCOME[first], inconsistent: false, reversed: false };
  // Disagreeing orders: a tie. When neither order said tie, the judge picked the same
  // position both times, the plainest sign of position bias.
  return { outcome: 'tie', inconsistent: true, reversed: first !== 'tie' && second !== 'tie' };
}
