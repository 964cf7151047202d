// Agreement on imported data through the same modules the flywheel uses: pairwise agreement
// (S1/S2, canonical order, per group, kappa, position bias) and pointwise agreement, shaped
// as the GraphQL ImportedAgreement type: overall and per group, with counts.
import { pairwiseAgreement, type AgreementSetup, type AgreementStats, type PairwiseJudgment, type PositionBiasRate } from '../../core/agreement/pairwise';
import { DIMENSIONS, summarisePointwiseAgreement, type AgreementSummary, type Dimension, type OrdinalAgreement, type PointwisePair } from '../../core/stats/agreement';
import type { Db } from '../../db/client';
import type { Principal } from '../api-keys';
import { compileUserPattern, type UserPattern } from '../../core/text/user-pattern';
import { badInput } from '../errors';
import { requireProject } from '../projects';

export interface RaterFilter {
  kind?: 'human' | 'judge' | null;
  raterIdPattern?: string | null;
}

type PointwiseFigures = Omit<AgreementSummary, 'dimensions'> & { dimensions: (OrdinalAgreement & { dimension: Dimension })[] };

interface AgreementScope {
  /** null for the overall figures. */
  group: string | null;
  pairwise: AgreementStats | null;
  pointwise: PointwiseFigures | null;
}

export interface ImportedAgreement {
  kind: 'pairwise' | 'pointwise';
  dataset: string;
  setup: AgreementSetup | null;
  /** Rows of the dataset of this kind, and how many of them each rater filter matched. */
  rows: number;
  groupARows: number;
  groupBRows: number;
  overall: AgreementScope;
  groups: AgreementScope[];
  positionBiasRate: PositionBiasRate | null;
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

const pointwiseFigures = (summary: AgreementSummary): PointwiseFigures => ({ ...summary, dimensions: DIMENSIONS.map((dimension) => ({ dimension, ...summary.dimensions[dimension] })) });

export async function importedAgreement(
  db: Db,
  principal: Principal,
  input: { projectId: string; dataset: string; kind: string; groupA: RaterFilter; groupB: RaterFilter; setup?: AgreementSetup | null; byGroup?: boolean | null },
): Promise<ImportedAgreement> {
  await requireProject(db, principal, input.projectId, 'read');
  if (input.kind !== 'pairwise' && input.kind !== 'pointwise') throw badInput('kind must be pairwise or pointwise');
  // Ordered, so "the first rater of a group on an item" (pointwise) is the same on every call.
  const rows = await db.importedJudgment.findMany({ where: { projectId: input.projectId, dataset: input.dataset, kind: input.kind }, orderBy: [{ itemId: 'asc' }, { raterId: 'asc' }, { answerA: 'asc' }, { answerB: 'asc' }] });
  const a = matcher(input.groupA);
  const b = matcher(input.groupB);
  const counts = { dataset: input.dataset, rows: rows.length, groupARows: rows.filter(a).length, groupBRows: rows.filter(b).length };
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
    const setup = input.setup ?? 'S1';
    const result = pairwiseAgreement(judgments, {
      groupA: a,
      groupB: b,
      setup,
      ...(input.byGroup === false ? {} : { groupBy: (j: PairwiseJudgment) => j.group ?? '(none)' }),
    });
    return {
      kind: 'pairwise',
      setup,
      ...counts,
      overall: { group: null, pairwise: result.overall, pointwise: null },
      groups: Object.entries(result.groups).map(([group, stats]) => ({ group, pairwise: stats, pointwise: null })),
      positionBiasRate: result.positionBiasRate,
    };
  }
  // Pointwise: on each item, the first rater of group A against the first other rater of
  // group B. B is the reference (e.g. humans) for TPR, TNR and precision: A (e.g. the
  // judge) is what is being checked, as in the flywheel's own judge-vs-human report.
  const byItem = new Map<string, typeof rows>();
  for (const row of rows) {
    const list = byItem.get(row.itemId);
    if (list) list.push(row);
    else byItem.set(row.itemId, [row]);
  }
  const rating = (r: (typeof rows)[number]) => ({ scores: Object.fromEntries(DIMENSIONS.map((d) => [d, r[d]])), verdict: r.verdict as 'pass' | 'fail' | null });
  const pairs: PointwisePair[] = [];
  for (const items of byItem.values()) {
    const first = items.find(a);
    const second = items.find((r) => b(r) && r !== first);
    if (first && second) pairs.push({ human: rating(second), judge: rating(first), group: first.groupKey });
  }
  const report = summarisePointwiseAgreement(pairs, { seed: `${input.projectId}:${input.dataset}`, byGroup: input.byGroup !== false });
  return {
    kind: 'pointwise',
    setup: null,
    ...counts,
    overall: { group: null, pairwise: null, pointwise: pointwiseFigures(report.overall) },
    groups: Object.entries(report.groups).map(([group, summary]) => ({ group, pairwise: null, pointwise: pointwiseFigures(summary) })),
    positionBiasRate: null,
  };
}
