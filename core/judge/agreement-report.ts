// Judge-vs-human agreement as the service reports it: per dimension and slice with n and
// intervals, human-vs-human beside it as the ceiling, and the verbosity bias check.
import { DIMENSIONS, summarisePointwiseAgreement, type AgreementSummary, type Dimension, type PointwisePair } from '../stats/agreement';
import { spearman } from '../stats/correlation';
import type { Figure } from '../stats/intervals';
import type { PrimaryMetric } from './judge-settings';

export interface Rating {
  scores: Record<Dimension, number>;
  verdict: 'pass' | 'fail';
}

export interface JudgedCase {
  caseId: string;
  slice: string | null;
  answerLength: number;
  humans: Rating[];
  /** null when the judge failed on this case (counted, never scored). */
  judge: Rating | null;
}

export interface JudgeAgreementReport {
  cases: number;
  judged: number;
  judgeFailures: number;
  judgeHuman: { overall: AgreementSummary; bySlice: Record<string, AgreementSummary> };
  humanHuman: { overall: AgreementSummary } | null;
  verbosity: { judgeVsLength: Figure; humanVsLength: Figure; gap: number | null; reading: string };
  /** `below` only when measured; `unmeasured` says when it could not be (no cases, or e.g. no human failures for TPR). */
  primary: { metric: PrimaryMetric; value: number | null; n: number; threshold: number; below: boolean; unmeasured: boolean };
}

const mean = (r: Rating) => DIMENSIONS.reduce((sum, d) => sum + r.scores[d], 0) / DIMENSIONS.length;
const asPointwise = (r: Rating) => ({ scores: r.scores, verdict: r.verdict });

export function primaryMetricValue(summary: AgreementSummary, metric: PrimaryMetric): Figure {
  switch (metric) {
    case 'verdict_agreement':
      return summary.verdict.agreement;
    case 'verdict_kappa':
      return summary.verdict.kappa;
    case 'tpr':
      return summary.verdict.tpr;
    case 'correctness_quadratic_kappa':
      return summary.dimensions.correctness.quadraticKappa;
  }
}

/** The judge is compared with the first reviewer's label; double-labelled cases also give the human ceiling. */
export function buildJudgeAgreementReport(cases: readonly JudgedCase[], options: { seed: string; metric: PrimaryMetric; threshold: number; iterations?: number }): JudgeAgreementReport {
  const judged = cases.filter((c): c is JudgedCase & { judge: Rating } => c.judge !== null && c.humans.length > 0);
  const pairs: PointwisePair[] = judged.map((c) => ({ human: asPointwise(c.humans[0]!), judge: asPointwise(c.judge), group: c.slice }));
  const judgeHuman = summarisePointwiseAgreement(pairs, { seed: `${options.seed}:judge-human`, iterations: options.iterations ?? 500 });
  const doubled = cases.filter((c) => c.humans.length >= 2);
  const humanHuman = doubled.length
    ? { overall: summarisePointwiseAgreement(doubled.map((c) => ({ human: asPointwise(c.humans[0]!), judge: asPointwise(c.humans[1]!) })), { seed: `${options.seed}:human-human`, byGroup: false, iterations: options.iterations ?? 500 }).overall }
    : null;

  const lengths = judged.map((c) => c.answerLength);
  const judgeVsLength = spearman(lengths, judged.map((c) => mean(c.judge)), { seed: `${options.seed}:verbosity-judge`, iterations: options.iterations ?? 500 });
  const humanVsLength = spearman(lengths, judged.map((c) => mean(c.humans[0]!)), { seed: `${options.seed}:verbosity-human`, iterations: options.iterations ?? 500 });
  const gap = judgeVsLength.value !== null && humanVsLength.value !== null ? judgeVsLength.value - humanVsLength.value : null;
  const reading =
    gap === null
      ? 'not measurable (too few cases or constant scores)'
      : gap > 0.2
        ? `the judge rewards length more than reviewers do (rho ${judgeVsLength.value!.toFixed(2)} vs ${humanVsLength.value!.toFixed(2)})`
        : gap < -0.2
          ? `the judge penalises length more than reviewers do (rho ${judgeVsLength.value!.toFixed(2)} vs ${humanVsLength.value!.toFixed(2)})`
          : 'no verbosity bias beyond the reviewers\' own relation to length';

  const primary = primaryMetricValue(judgeHuman.overall, options.metric);
  return {
    cases: cases.length,
    judged: judged.length,
    judgeFailures: cases.filter((c) => c.judge === null).length,
    judgeHuman: { overall: judgeHuman.overall, bySlice: judgeHuman.groups },
    humanHuman,
    verbosity: { judgeVsLength, humanVsLength, gap, reading },
    primary: { metric: options.metric, value: primary.value, n: primary.n, threshold: options.threshold, below: primary.value !== null && primary.value < options.threshold, unmeasured: primary.value === null },
  };
}
