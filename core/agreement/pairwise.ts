/**
 * Pairwise agreement between two groups of raters (e.g. an LLM judge vs human
 * experts), following the protocol of Zheng et al. 2023, "Judging
 * LLM-as-a-Judge with MT-Bench and Chatbot Arena" (arXiv 2306.05685, Table 5)
 * as implemented in FastChat's `fastchat/llm_judge/compute_agreement.py`:
 *
 * - votes are keyed by (group, item, canonical answer pair): the two answer ids
 *   are sorted and the winner is swapped when the order flips, so a vote on
 *   (x, y) and a vote on (y, x) are comparable;
 * - every vote of group A is compared with every vote of group B on the same
 *   key ("randomly selected individuals, but not identical"): a rater is never
 *   compared with themself, and when the groups overlap (human vs human) each
 *   unordered pair of votes counts once;
 * - a position-inconsistent verdict counts as a tie;
 * - setup S1 keeps ties as a third category (random baseline 1/3); setup S2
 *   drops any comparison in which either vote is a tie (random baseline 1/2).
 *
 * Pure: no I/O.
 */

export type RaterKind = 'human' | 'judge';
export type Verdict = 'A' | 'B' | 'tie';
export type AgreementSetup = 'S1' | 'S2';

export interface PairwiseJudgment {
  /** The prompt / conversation turn both answers respond to. */
  itemId: string;
  answerA: string;
  answerB: string;
  raterId: string;
  raterKind: RaterKind;
  winner: Verdict;
  /** The judge flipped its verdict when the answers were swapped (position bias). */
  inconsistent?: boolean;
  /** Reporting slice, e.g. the conversation turn. */
  group?: string;
}

/** A judgment with its answer pair in canonical (sorted) order. */
export interface CanonicalJudgment {
  judgment: PairwiseJudgment;
  /** Lexicographically smaller answer id. */
  first: string;
  /** Lexicographically larger answer id. */
  second: string;
  /** 'A' means `first` won, 'B' means `second` won. */
  winner: Verdict;
}

export interface PairwiseAgreementOptions {
  groupA: (j: PairwiseJudgment) => boolean;
  groupB: (j: PairwiseJudgment) => boolean;
  setup: AgreementSetup;
  /** Slice results (e.g. by turn). Votes in different slices are never compared. */
  groupBy?: (j: PairwiseJudgment) => string;
}

export interface PositionBiasRate {
  /** Share of judge (raterKind 'judge') votes marked inconsistent; null when n = 0. */
  rate: number | null;
  inconsistent: number;
  n: number;
}

export interface AgreementStats {
  /** agreed / n; null when n = 0. */
  agreement: number | null;
  agreed: number;
  /** Number of vote comparisons (the sample size reported in the paper's Table 5). */
  n: number;
  /** Cohen's kappa over the comparison confusion matrix; null when undefined. */
  cohenKappa: number | null;
  /** Agreement of a uniformly random rater: 1/3 for S1, 1/2 for S2 (the paper's R). */
  randomBaseline: number;
  positionBiasRate: PositionBiasRate;
}

export interface PairwiseAgreementResult {
  setup: AgreementSetup;
  overall: AgreementStats;
  /** Per `groupBy` slice; empty when no groupBy is given. */
  groups: Record<string, AgreementStats>;
  /** Same as overall.positionBiasRate, surfaced as the headline judge-bias figure. */
  positionBiasRate: PositionBiasRate;
}

const VERDICTS: readonly Verdict[] = ['A', 'B', 'tie'];

function swapVerdict(v: Verdict): Verdict {
  return v === 'A' ? 'B' : v === 'B' ? 'A' : 'tie';
}

/** Inconsistent verdicts are ties, as in the paper's S1 ("inconsistent counted as tie"). */
export function effectiveVerdict(j: PairwiseJudgment): Verdict {
  return j.inconsistent ? 'tie' : j.winner;
}

/** Sort the answer pair so (x, y) and (y, x) votes land on the same key. */
export function canonicalize(j: PairwiseJudgment): CanonicalJudgment {
  const v = effectiveVerdict(j);
  // Plain `<` (code-unit order) mirrors FastChat's string comparison for ids.
  if (j.answerB < j.answerA) {
    return { judgment: j, first: j.answerB, second: j.answerA, winner: swapVerdict(v) };
  }
  return { judgment: j, first: j.answerA, second: j.answerB, winner: v };
}

/** Confusion matrix over verdicts, rows = group A vote, columns = group B vote. */
type Confusion = Record<Verdict, Record<Verdict, number>>;

interface Tally {
  agreed: number;
  n: number;
  confusion: Confusion;
  judgeVotes: number;
  judgeInconsistent: number;
}

function emptyTally(): Tally {
  const row = (): Record<Verdict, number> => ({ A: 0, B: 0, tie: 0 });
  return {
    agreed: 0,
    n: 0,
    confusion: { A: row(), B: row(), tie: row() },
    judgeVotes: 0,
    judgeInconsistent: 0,
  };
}

function cohenKappa(confusion: Confusion, n: number): number | null {
  if (n === 0) return null;
  let observed = 0;
  let expected = 0;
  for (const k of VERDICTS) {
    observed += confusion[k][k];
    let rowSum = 0;
    let colSum = 0;
    for (const l of VERDICTS) {
      rowSum += confusion[k][l];
      colSum += confusion[l][k];
    }
    expected += (rowSum / n) * (colSum / n);
  }
  observed /= n;
  // Kappa is undefined when chance agreement is already perfect (one category only).
  if (1 - expected <= 1e-12) return null;
  return (observed - expected) / (1 - expected);
}

function finish(t: Tally, setup: AgreementSetup): AgreementStats {
  return {
    agreement: t.n === 0 ? null : t.agreed / t.n,
    agreed: t.agreed,
    n: t.n,
    cohenKappa: cohenKappa(t.confusion, t.n),
    randomBaseline: setup === 'S1' ? 1 / 3 : 1 / 2,
    positionBiasRate: {
      rate: t.judgeVotes === 0 ? null : t.judgeInconsistent / t.judgeVotes,
      inconsistent: t.judgeInconsistent,
      n: t.judgeVotes,
    },
  };
}

interface Member {
  vote: CanonicalJudgment;
  inA: boolean;
  inB: boolean;
}

/**
 * Agreement between rater groups A and B on the same (item, answer pair),
 * overall and per `groupBy` slice. See the module comment for the protocol.
 */
export function pairwiseAgreement(
  judgments: readonly PairwiseJudgment[],
  options: PairwiseAgreementOptions,
): PairwiseAgreementResult {
  const { groupA, groupB, setup, groupBy } = options;
  const overall = emptyTally();
  const slices = new Map<string, Tally>();
  const sliceOf = (key: string): Tally => {
    let t = slices.get(key);
    if (!t) {
      t = emptyTally();
      slices.set(key, t);
    }
    return t;
  };

  // Bucket the votes of either group by (slice, item, canonical pair).
  const buckets = new Map<string, { slice: string; members: Member[] }>();
  for (const j of judgments) {
    const inA = groupA(j);
    const inB = groupB(j);
    if (!inA && !inB) continue;
    const slice = groupBy ? groupBy(j) : '';
    // Every slice holding a vote is reported, even if it yields no comparison.
    const tallies = groupBy ? [overall, sliceOf(slice)] : [overall];
    if (j.raterKind === 'judge') {
      for (const t of tallies) {
        t.judgeVotes += 1;
        if (j.inconsistent) t.judgeInconsistent += 1;
      }
    }
    const vote = canonicalize(j);
    // JSON keeps the key unambiguous whatever characters the ids contain.
    const key = JSON.stringify([slice, j.itemId, vote.first, vote.second]);
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { slice, members: [] };
      buckets.set(key, bucket);
    }
    bucket.members.push({ vote, inA, inB });
  }

  for (const { slice, members } of buckets.values()) {
    const tallies = groupBy ? [overall, sliceOf(slice)] : [overall];
    // Unordered pairs of distinct votes, so overlapping groups count each pair once.
    for (let i = 0; i < members.length; i++) {
      for (let k = i + 1; k < members.length; k++) {
        const x = members[i];
        const y = members[k];
        // Not the identical individual: a rater never agrees with themself.
        if (x.vote.judgment.raterId === y.vote.judgment.raterId) continue;
        const xy = x.inA && y.inB;
        const yx = y.inA && x.inB;
        if (!xy && !yx) continue;
        const vx = x.vote.winner;
        const vy = y.vote.winner;
        if (setup === 'S2' && (vx === 'tie' || vy === 'tie')) continue;
        // When both orientations are valid (shared group) split the weight so kappa's
        // marginals stay symmetric instead of depending on input order.
        const w = xy && yx ? 0.5 : 1;
        for (const t of tallies) {
          t.n += 1;
          if (vx === vy) t.agreed += 1;
          if (xy) t.confusion[vx][vy] += w;
          if (yx) t.confusion[vy][vx] += w;
        }
      }
    }
  }

  const groups: Record<string, AgreementStats> = {};
  for (const key of [...slices.keys()].sort()) {
    groups[key] = finish(sliceOf(key), setup);
  }
  const overallStats = finish(overall, setup);
  return {
    setup,
    overall: overallStats,
    groups,
    positionBiasRate: overallStats.positionBiasRate,
  };
}
