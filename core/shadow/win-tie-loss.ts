// Win / tie / loss of a candidate against production over reconciled pairs, each share
// with its Wilson interval, and whether the candidate is better, worse or cannot be told
// apart: the candidate's share of the decisive pairs, with an interval that must exclude 1/2.
import { proportionFigure, type Figure } from '../stats/intervals';
import type { ReconciledPair } from './both-orders';

export type ShadowVerdict = 'candidate_better' | 'candidate_worse' | 'no_clear_difference' | 'not_measured';

export interface WinTieLoss {
  /** Pairs with a verdict in both orders (the n of every rate). */
  pairs: number;
  wins: number;
  ties: number;
  losses: number;
  /** Ties that are there because the two orders disagreed. */
  inconsistent: number;
  winRate: Figure;
  tieRate: Figure;
  lossRate: Figure;
  /** wins / (wins + losses): 0.5 means no difference; null when every pair is a tie. */
  decisiveWinShare: Figure;
  /** Share of pairs whose verdict changed with the order (position bias). */
  flipRate: Figure;
  verdict: ShadowVerdict;
  reading: string;
}

const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
const ci = (f: Figure) => (f.ci ? ` (95% CI ${fmt(f.ci.low)}-${fmt(f.ci.high)})` : '');

export function summariseOutcomes(pairs: readonly ReconciledPair[]): WinTieLoss {
  const complete = pairs.filter((p) => p.outcome !== null);
  const n = complete.length;
  const wins = complete.filter((p) => p.outcome === 'win').length;
  const losses = complete.filter((p) => p.outcome === 'loss').length;
  const ties = n - wins - losses;
  const inconsistent = complete.filter((p) => p.inconsistent).length;
  const decisiveWinShare = proportionFigure(wins, wins + losses);

  let verdict: ShadowVerdict;
  if (n === 0) verdict = 'not_measured';
  else if (decisiveWinShare.ci && decisiveWinShare.ci.low > 0.5) verdict = 'candidate_better';
  else if (decisiveWinShare.ci && decisiveWinShare.ci.high < 0.5) verdict = 'candidate_worse';
  else verdict = 'no_clear_difference';

  const flips = inconsistent ? `; ${inconsistent} flipped with the order and count as ties` : '';
  const reading =
    n === 0
      ? 'not measured: no pair was judged in both orders'
      : wins + losses === 0
        ? `no clear difference: all ${n} pairs are ties${flips}`
        : `${verdict === 'candidate_better' ? 'candidate better' : verdict === 'candidate_worse' ? 'candidate worse' : 'no clear difference'}: ` +
          `${wins} wins, ${ties} ties, ${losses} losses in ${n} pairs; wins ${fmt(decisiveWinShare.value)} of decisive pairs${ci(decisiveWinShare)}${flips}`;

  return {
    pairs: n,
    wins,
    ties,
    losses,
    inconsistent,
    winRate: proportionFigure(wins, n),
    tieRate: proportionFigure(ties, n),
    lossRate: proportionFigure(losses, n),
    decisiveWinShare,
    flipRate: proportionFigure(inconsistent, n),
    verdict,
    reading,
  };
}
