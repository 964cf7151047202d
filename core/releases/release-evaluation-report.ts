// The offline score of one release on the current eval set versions: the active judge's
// scores of the release's own answers, production and regression kept apart (the
// regression set holds known failures; mixing it in would hide how the release does on
// real traffic), per dimension and per slice, with how many cases had no answer at all.
import { offlineScore } from '../correlation/correlation-report';
import type { OfflineMeasure, OfflineScores } from '../correlation/types';
import type { Figure } from '../stats/intervals';

/** Where the release's answer to a case came from. */
export type AnswerSource = 'trace' | 'supplied' | 'missing';

type ScoredCase = OfflineScores['cases'][number];

export interface EvaluatedCase {
  setKind: 'production' | 'regression';
  slice: string | null;
  source: AnswerSource;
  /** The judge's scores; null when there was no answer, or the judge failed or has not judged it. */
  judgment: ScoredCase | null;
  judgeFailed: boolean;
}

export interface SetEvaluation {
  cases: number;
  answers: { fromTraces: number; supplied: number; missing: number };
  judged: number;
  judgeFailures: number;
  scores: Record<OfflineMeasure, Figure>;
  bySlice: { slice: string; cases: number; judged: number; scores: Record<OfflineMeasure, Figure> }[];
  reading: string;
}

export interface ReleaseEvaluationReport {
  production: SetEvaluation;
  regression: SetEvaluation;
}

function describe(kind: 'production' | 'regression', s: Omit<SetEvaluation, 'reading'>): string {
  if (s.cases === 0) return `no cases: the ${kind} set has no version yet, or it is empty`;
  if (s.judged === 0) return `not measured: none of the ${s.cases} cases has a judged answer from this release (${s.answers.missing} without an answer, ${s.judgeFailures} judge failures)`;
  const pass = s.scores.pass_rate;
  const interval = pass.ci ? ` (95% CI ${pass.ci.low.toFixed(2)}-${pass.ci.high.toFixed(2)})` : '';
  const gaps = [s.answers.missing ? `${s.answers.missing} without an answer` : '', s.judgeFailures ? `${s.judgeFailures} judge failures` : ''].filter(Boolean).join(', ');
  const what = kind === 'regression' ? 'of known failures now passed' : 'pass rate';
  return `${what} ${pass.value!.toFixed(2)}${interval} on ${s.judged} of ${s.cases} cases${gaps ? `; ${gaps}` : ''}`;
}

function evaluateSet(kind: 'production' | 'regression', cases: readonly EvaluatedCase[]): SetEvaluation {
  const judgedCases = (list: readonly EvaluatedCase[]) => list.flatMap((c) => (c.judgment ? [c.judgment] : []));
  const slices = [...new Set(cases.map((c) => c.slice).filter((s): s is string => s !== null))].sort();
  const base = {
    cases: cases.length,
    answers: {
      fromTraces: cases.filter((c) => c.source === 'trace').length,
      supplied: cases.filter((c) => c.source === 'supplied').length,
      missing: cases.filter((c) => c.source === 'missing').length,
    },
    judged: judgedCases(cases).length,
    judgeFailures: cases.filter((c) => c.judgeFailed).length,
    scores: offlineScore({ cases: judgedCases(cases) }),
    bySlice: slices.map((slice) => {
      const inSlice = cases.filter((c) => c.slice === slice);
      const judged = judgedCases(inSlice);
      return { slice, cases: inSlice.length, judged: judged.length, scores: offlineScore({ cases: judged }) };
    }),
  };
  return { ...base, reading: describe(kind, base) };
}

export function buildReleaseEvaluationReport(cases: readonly EvaluatedCase[]): ReleaseEvaluationReport {
  return {
    production: evaluateSet('production', cases.filter((c) => c.setKind === 'production')),
    regression: evaluateSet('regression', cases.filter((c) => c.setKind === 'regression')),
  };
}
