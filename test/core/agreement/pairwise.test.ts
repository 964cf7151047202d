import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  pairwiseAgreement,
  type PairwiseJudgment,
  type Verdict,
} from '../../../core/agreement/pairwise';
import { fromMtBenchRow, readMtBenchJsonl } from '../../helpers/mt-bench';

function vote(
  itemId: string,
  answerA: string,
  answerB: string,
  raterId: string,
  winner: Verdict,
  extra: Partial<PairwiseJudgment> = {},
): PairwiseJudgment {
  return {
    itemId,
    answerA,
    answerB,
    raterId,
    raterKind: raterId.startsWith('judge') ? 'judge' : 'human',
    winner,
    ...extra,
  };
}

const isJudge = (j: PairwiseJudgment): boolean => j.raterKind === 'judge';
const isHuman = (j: PairwiseJudgment): boolean => j.raterKind === 'human';

describe('canonicalize', () => {
  it('sorts the answer pair and swaps the winner when the order flips', () => {
    expect(canonicalize(vote('q', 'y', 'x', 'h1', 'A'))).toMatchObject({
      first: 'x',
      second: 'y',
      winner: 'B',
    });
    expect(canonicalize(vote('q', 'x', 'y', 'h1', 'A'))).toMatchObject({
      first: 'x',
      second: 'y',
      winner: 'A',
    });
    expect(canonicalize(vote('q', 'y', 'x', 'h1', 'tie')).winner).toBe('tie');
  });

  it('treats an inconsistent verdict as a tie', () => {
    expect(canonicalize(vote('q', 'x', 'y', 'judge', 'A', { inconsistent: true })).winner).toBe(
      'tie',
    );
  });
});

describe('pairwiseAgreement', () => {
  it('compares (x,y) and (y,x) votes on the same item', () => {
    const r = pairwiseAgreement(
      [vote('q1', 'x', 'y', 'judge', 'A'), vote('q1', 'y', 'x', 'h1', 'B')],
      { groupA: isJudge, groupB: isHuman, setup: 'S1' },
    );
    expect(r.overall).toMatchObject({ agreement: 1, agreed: 1, n: 1 });
  });

  it('S1 counts ties as a category; S2 drops comparisons where either vote is a tie', () => {
    const js = [
      vote('q1', 'x', 'y', 'judge', 'A'),
      vote('q1', 'x', 'y', 'h1', 'A'),
      vote('q1', 'x', 'y', 'h2', 'tie'),
      vote('q2', 'x', 'y', 'judge', 'tie', { inconsistent: true }),
      vote('q2', 'x', 'y', 'h1', 'tie'),
      vote('q3', 'x', 'y', 'judge', 'B'),
      vote('q3', 'x', 'y', 'h1', 'A'),
    ];
    const s1 = pairwiseAgreement(js, { groupA: isJudge, groupB: isHuman, setup: 'S1' });
    expect(s1.overall).toMatchObject({ agreed: 2, n: 4, agreement: 0.5, randomBaseline: 1 / 3 });
    const s2 = pairwiseAgreement(js, { groupA: isJudge, groupB: isHuman, setup: 'S2' });
    expect(s2.overall).toMatchObject({ agreed: 1, n: 2, agreement: 0.5, randomBaseline: 1 / 2 });
  });

  it('computes Cohen kappa from the comparison confusion matrix', () => {
    const js = [
      vote('q1', 'x', 'y', 'judge', 'A'),
      vote('q1', 'x', 'y', 'h1', 'A'),
      vote('q2', 'x', 'y', 'judge', 'B'),
      vote('q2', 'x', 'y', 'h1', 'B'),
      vote('q3', 'x', 'y', 'judge', 'A'),
      vote('q3', 'x', 'y', 'h1', 'B'),
      vote('q4', 'x', 'y', 'judge', 'tie'),
      vote('q4', 'x', 'y', 'h1', 'tie'),
    ];
    // po = 3/4; judge marginals A 2, B 1, tie 1; human A 1, B 2, tie 1 -> pe = 5/16.
    const r = pairwiseAgreement(js, { groupA: isJudge, groupB: isHuman, setup: 'S1' });
    expect(r.overall.agreement).toBe(0.75);
    expect(r.overall.cohenKappa).toBeCloseTo(7 / 11, 12);
    // S2 drops q4: po = 2/3, judge A 2 B 1, human A 1 B 2 -> pe = 4/9, kappa = 0.4.
    const s2 = pairwiseAgreement(js, { groupA: isJudge, groupB: isHuman, setup: 'S2' });
    expect(s2.overall.cohenKappa).toBeCloseTo(0.4, 12);
  });

  it('returns null figures with n = 0 for empty input', () => {
    const r = pairwiseAgreement([], {
      groupA: isJudge,
      groupB: isHuman,
      setup: 'S1',
      groupBy: (j) => j.group ?? '',
    });
    expect(r.overall).toEqual({
      agreement: null,
      agreed: 0,
      n: 0,
      cohenKappa: null,
      randomBaseline: 1 / 3,
      positionBiasRate: { rate: null, inconsistent: 0, n: 0 },
    });
    expect(r.groups).toEqual({});
    expect(r.positionBiasRate).toEqual({ rate: null, inconsistent: 0, n: 0 });
  });

  it('human vs human: each pair of distinct raters once, never a rater with themself', () => {
    const js = [
      vote('q1', 'x', 'y', 'h1', 'A'),
      vote('q1', 'y', 'x', 'h1', 'B'), // h1 again (duplicate vote): not compared with h1
      vote('q1', 'x', 'y', 'h2', 'A'),
      vote('q1', 'x', 'y', 'h3', 'B'),
    ];
    const r = pairwiseAgreement(js, { groupA: isHuman, groupB: isHuman, setup: 'S1' });
    // pairs: h1a-h2, h1a-h3, h1b-h2, h1b-h3, h2-h3 -> agree on the two h1-h2 pairs.
    expect(r.overall).toMatchObject({ n: 5, agreed: 2 });
    // Symmetric weighting keeps kappa independent of the input order.
    const reversed = pairwiseAgreement([...js].reverse(), {
      groupA: isHuman,
      groupB: isHuman,
      setup: 'S1',
    });
    expect(reversed.overall.cohenKappa).toBeCloseTo(r.overall.cohenKappa ?? NaN, 12);
  });

  it('never compares votes from different groupBy slices and reports each slice', () => {
    const js = [
      vote('q1', 'x', 'y', 'judge', 'A', { group: 't1' }),
      vote('q1', 'x', 'y', 'h1', 'A', { group: 't1' }),
      vote('q1', 'x', 'y', 'h2', 'B', { group: 't2' }),
      vote('q2', 'x', 'y', 'judge', 'tie', { group: 't2', inconsistent: true }),
      vote('q2', 'x', 'y', 'h1', 'B', { group: 't2' }),
    ];
    const r = pairwiseAgreement(js, {
      groupA: isJudge,
      groupB: isHuman,
      setup: 'S1',
      groupBy: (j) => j.group ?? '',
    });
    expect(Object.keys(r.groups)).toEqual(['t1', 't2']);
    expect(r.groups.t1).toMatchObject({ n: 1, agreed: 1 });
    expect(r.groups.t2).toMatchObject({ n: 1, agreed: 0 });
    expect(r.overall).toMatchObject({ n: 2, agreed: 1 });
    expect(r.groups.t1.positionBiasRate).toEqual({ rate: 0, inconsistent: 0, n: 1 });
    expect(r.groups.t2.positionBiasRate).toEqual({ rate: 1, inconsistent: 1, n: 1 });
    expect(r.positionBiasRate).toEqual({ rate: 0.5, inconsistent: 1, n: 2 });
  });
});

// Real data: repo root is three levels up from this file; the shared data sits beside it.
const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.resolve(here, '../../../../shared/data/mt_bench_human_judgments');
const hasData =
  existsSync(path.join(dataDir, 'human.jsonl')) && existsSync(path.join(dataDir, 'gpt4_pair.jsonl'));
if (!hasData) {
  console.warn(`MT-Bench Table 5 reproduction skipped: ${dataDir} not found`);
}

/**
 * Zheng et al. 2023, arXiv 2306.05685 (v4), Table 5 "Agreement between two types
 * of judges on MT-bench": agreement % (rounded as printed) and number of compared
 * vote pairs. Same figures are printed by FastChat's compute_agreement.py.
 */
const TABLE_5 = {
  turn1: {
    gpt4VsHuman: { S1: { pct: 66, n: 1343 }, S2: { pct: 85, n: 859 } },
    humanVsHuman: { S1: { pct: 63, n: 721 }, S2: { pct: 81, n: 479 } },
  },
  turn2: {
    gpt4VsHuman: { S1: { pct: 66, n: 1325 }, S2: { pct: 85, n: 864 } },
    humanVsHuman: { S1: { pct: 67, n: 707 }, S2: { pct: 82, n: 474 } },
  },
} as const;

describe.skipIf(!hasData)(`MT-Bench Table 5 reproduction (needs ${dataDir})`, () => {
  const load = (file: string) => readMtBenchJsonl(path.join(dataDir, file));
  const humanRows = hasData ? load('human.jsonl') : [];
  const gpt4Rows = hasData ? load('gpt4_pair.jsonl') : [];
  const judgments = [...humanRows, ...gpt4Rows].map(fromMtBenchRow);
  // FastChat counts only expert_* raters as "human"; author_* votes are a separate judge type.
  const isExpert = (j: PairwiseJudgment): boolean =>
    j.raterKind === 'human' && j.raterId.startsWith('expert_');
  const isGpt4Pair = (j: PairwiseJudgment): boolean => j.raterId === 'gpt4_pair';
  const byTurn = (j: PairwiseJudgment): string => j.group ?? '';

  it('has the documented row counts', () => {
    expect(humanRows).toHaveLength(3355);
    expect(gpt4Rows).toHaveLength(2400);
  });

  for (const setup of ['S1', 'S2'] as const) {
    it(`GPT-4 pair vs human, ${setup}, per turn`, () => {
      const r = pairwiseAgreement(judgments, {
        groupA: isGpt4Pair,
        groupB: isExpert,
        setup,
        groupBy: byTurn,
      });
      for (const turn of ['turn1', 'turn2'] as const) {
        const got = r.groups[turn];
        const want = TABLE_5[turn].gpt4VsHuman[setup];
        expect(got.n).toBe(want.n);
        expect(Math.round((got.agreement ?? NaN) * 100)).toBe(want.pct);
        expect(got.cohenKappa).not.toBeNull();
      }
      // Position bias: share of GPT-4 votes whose verdict flipped on swap.
      const flipped = gpt4Rows.filter((row) => row.winner === 'tie (inconsistent)').length;
      expect(r.positionBiasRate).toEqual({
        rate: flipped / gpt4Rows.length,
        inconsistent: flipped,
        n: gpt4Rows.length,
      });
    });

    it(`human vs human, ${setup}, per turn`, () => {
      const r = pairwiseAgreement(judgments, {
        groupA: isExpert,
        groupB: isExpert,
        setup,
        groupBy: byTurn,
      });
      for (const turn of ['turn1', 'turn2'] as const) {
        const got = r.groups[turn];
        const want = TABLE_5[turn].humanVsHuman[setup];
        expect(got.n).toBe(want.n);
        expect(Math.round((got.agreement ?? NaN) * 100)).toBe(want.pct);
      }
      expect(r.overall.n).toBe(
        TABLE_5.turn1.humanVsHuman[setup].n + TABLE_5.turn2.humanVsHuman[setup].n,
      );
      expect(r.positionBiasRate).toEqual({ rate: null, inconsistent: 0, n: 0 });
    });
  }

  it('overall without groupBy pools both turns (turn is part of the item id)', () => {
    const r = pairwiseAgreement(judgments, { groupA: isGpt4Pair, groupB: isExpert, setup: 'S1' });
    expect(r.overall.n).toBe(1343 + 1325);
    expect(r.groups).toEqual({});
  });
});
