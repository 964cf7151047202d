// The shadow evaluation report: a candidate against production on the same real inputs,
// overall, per slice and per production release, with the judge's position bias (how
// often its verdict flipped with the order, and how often it chose the first answer).
import { proportionFigure, type Figure } from '../stats/intervals';
import type { PositionalVerdict } from '../judge/parse-pairwise-verdict';
import { reconcileBothOrders, type ReconciledPair } from './both-orders';
import { summariseOutcomes, type WinTieLoss } from './win-tie-loss';

export interface ShadowPairInput {
  slice: string | null;
  /** The release that served the production answer. */
  productionRelease: string | null;
  /** Verdict with the candidate as Answer A; null when that call failed. */
  candidateFirst: PositionalVerdict | null;
  /** Verdict with the production answer as Answer A; null when that call failed. */
  productionFirst: PositionalVerdict | null;
}

export interface PositionBias {
  /** Pairs whose verdict changed with the order, of the pairs judged in both orders. */
  flipRate: Figure;
  flipped: number;
  /** Flipped pairs where the judge picked the same position both times. */
  reversed: number;
  /** Of the decisive single verdicts, the share that chose Answer A (1/2 = no preference). */
  firstPositionShare: Figure;
  reading: string;
}

export interface ShadowReport {
  /** Candidate answers compared (each judged in two orders). */
  pairs: number;
  /** Pairs with a verdict in both orders. */
  judged: number;
  /** Pairs left out because a judge call failed. */
  incomplete: number;
  overall: WinTieLoss;
  bySlice: { slice: string; result: WinTieLoss }[];
  byProductionRelease: { release: string; result: WinTieLoss }[];
  positionBias: PositionBias;
}

function groupBy(pairs: readonly (ShadowPairInput & { reconciled: ReconciledPair })[], key: (p: ShadowPairInput) => string | null) {
  const groups = new Map<string, ReconciledPair[]>();
  for (const p of pairs) {
    const k = key(p);
    if (k === null) continue;
    groups.set(k, [...(groups.get(k) ?? []), p.reconciled]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, list]) => ({ key: k, result: summariseOutcomes(list) }));
}

function describeBias(flipRate: Figure, flipped: number, firstPositionShare: Figure): string {
  if (flipRate.value === null) return 'not measured: no pair was judged in both orders';
  const share = firstPositionShare.value === null ? '' : `; ${(firstPositionShare.value * 100).toFixed(0)}% of decisive verdicts chose Answer A`;
  const interval = flipRate.ci ? ` (95% CI ${flipRate.ci.low.toFixed(2)}-${flipRate.ci.high.toFixed(2)})` : '';
  return `the verdict flipped with the order in ${flipped} of ${flipRate.n} pairs, rate ${flipRate.value.toFixed(2)}${interval}${share}; flipped pairs count as ties`;
}

export function buildShadowReport(pairs: readonly ShadowPairInput[]): ShadowReport {
  const reconciled = pairs.map((p) => ({ ...p, reconciled: reconcileBothOrders(p.candidateFirst, p.productionFirst) }));
  const overall = summariseOutcomes(reconciled.map((p) => p.reconciled));
  const decisive = pairs.flatMap((p) => [p.candidateFirst, p.productionFirst]).filter((v): v is 'A' | 'B' => v === 'A' || v === 'B');
  const firstPositionShare = proportionFigure(decisive.filter((v) => v === 'A').length, decisive.length);
  const reversed = reconciled.filter((p) => p.reconciled.reversed).length;
  return {
    pairs: pairs.length,
    judged: overall.pairs,
    incomplete: pairs.length - overall.pairs,
    overall,
    bySlice: groupBy(reconciled, (p) => p.slice).map((g) => ({ slice: g.key, result: g.result })),
    byProductionRelease: groupBy(reconciled, (p) => p.productionRelease).map((g) => ({ release: g.key, result: g.result })),
    positionBias: {
      flipRate: overall.flipRate,
      flipped: overall.inconsistent,
      reversed,
      firstPositionShare,
      reading: describeBias(overall.flipRate, overall.inconsistent, firstPositionShare),
    },
  };
}
