// Agreement on imported data through the same modules the flywheel uses: pairwise agreement
// (S1/S2, canonical order, per group, kappa, position bias) and pointwise agreement.
import { pairwiseAgreement, type PairwiseJudgment } from '../../core/agreement/pairwise';
import { DIMENSIONS, summarisePointwiseAgreement, type PointwisePair } from '../../core/stats/agreement';
import type { Db } from '../../db/client';
import type { Principal } from '../api-keys';
import { compileUserPattern, type UserPattern } from '../../core/text/user-pattern';
import { badInput } from '../errors';
import { requireProject } from '../projects';

export interface RaterFilter {
  kind?: 'human' | 'judge' | null;
  raterIdPattern?: string | null;
}

function matcher(filter: RaterFilter): (j: { raterKind: string; raterId: string }) => boolean {
  let pattern: UserPattern | null = null;
  if (filter.raterIdPattern) {
    // RE2: linear-time matching over every imported row, whatever the pattern.
    const compiled = compileUserPattern(filter.raterIdPattern);
    if (!compiled.ok) throw badInput(`raterIdPattern: ${compiled.reason}`);
    pattern = compiled.pattern;
  }
  return (j) => (!filter.kind || j.raterKind === filter.kind) && (!pattern || pattern.test(j.raterId));
}

export async function importedAgreement(
  db: Db,
  principal: Principal,
  input: { projectId: string; dataset: string; kind: string; groupA: RaterFilter; groupB: RaterFilter; setup?: 'S1' | 'S2' | null; byGroup?: boolean | null },
) {
  await requireProject(db, principal, input.projectId, 'read');
  const rows = await db.importedJudgment.findMany({ where: { projectId: input.projectId, dataset: input.dataset, kind: input.kind } });
  const a = matcher(input.groupA);
  const b = matcher(input.groupB);
  if (input.kind === 'pairwise') {
    const judgments: PairwiseJudgment[] = rows.map((r) => ({
      itemId: r.itemId,
      answerA: r.answerA,
      answerB: r.answerB,
      raterId: r.raterId,
      raterKind: r.raterKind as 'human' | 'judge',
      winner: r.winner as 'A' | 'B' | 'tie',
      inconsistent: r.inconsistent,
      group: r.groupKey ?? undefined,
    }));
    const result = pairwiseAgreement(judgments, {
      groupA: a,
      groupB: b,
      setup: input.setup ?? 'S1',
      ...(input.byGroup === false ? {} : { groupBy: (j: PairwiseJudgment) => j.group ?? '(none)' }),
    });
    return { kind: 'pairwise', rows: rows.length, ...result };
  }
  // Pointwise: on each item, the first rater of group A against the first of group B.
  const byItem = new Map<string, typeof rows>();
  for (const row of rows) byItem.set(row.itemId, [...(byItem.get(row.itemId) ?? []), row]);
  const rating = (r: (typeof rows)[number]) => ({ scores: Object.fromEntries(DIMENSIONS.map((d) => [d, r[d]])), verdict: r.verdict as 'pass' | 'fail' | null });
  const pairs: PointwisePair[] = [];
  for (const items of byItem.values()) {
    const first = items.find(a);
    const second = items.find((r) => b(r) && r !== first);
    if (first && second) pairs.push({ human: rating(first), judge: rating(second), group: first.groupKey });
  }
  return { kind: 'pointwise', rows: rows.length, ...summarisePointwiseAgreement(pairs, { seed: `${input.projectId}:${input.dataset}`, byGroup: input.byGroup !== false }) };
}
