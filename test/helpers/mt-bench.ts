/**
 * Test-only mapper from the MT-Bench human-judgments rows
 * (`lmsys/mt_bench_human_judgments`, label columns) to PairwiseJudgment.
 * Not service logic: imports will get a configurable field mapping later.
 */
import { readFileSync } from 'node:fs';
import type { PairwiseJudgment, Verdict } from '../../core/agreement/pairwise';

export interface MtBenchRow {
  judge: string;
  model_a: string;
  model_b: string;
  question_id: number;
  turn: number;
  winner: string;
}

function verdictOf(winner: string): { winner: Verdict; inconsistent: boolean } {
  switch (winner) {
    case 'model_a':
      return { winner: 'A', inconsistent: false };
    case 'model_b':
      return { winner: 'B', inconsistent: false };
    case 'tie':
      return { winner: 'tie', inconsistent: false };
    case 'tie (inconsistent)':
      // GPT-4 flipped its verdict when the answers were swapped: a tie (paper, S1).
      return { winner: 'tie', inconsistent: true };
    default:
      throw new Error(`unknown MT-Bench winner: ${winner}`);
  }
}

export function fromMtBenchRow(row: MtBenchRow): PairwiseJudgment {
  const { winner, inconsistent } = verdictOf(row.winner);
  return {
    // The turn is part of the item: turn-2 votes judge a different conversation.
    itemId: `${row.question_id}:${row.turn}`,
    answerA: row.model_a,
    answerB: row.model_b,
    raterId: row.judge,
    raterKind: row.judge.startsWith('gpt4') ? 'judge' : 'human',
    winner,
    ...(inconsistent ? { inconsistent } : {}),
    group: `turn${row.turn}`,
  };
}

export function readMtBenchJsonl(file: string): MtBenchRow[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as MtBenchRow);
}
