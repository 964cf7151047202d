// The merge step: a run's labels become eval cases in new versions of the project's
// production and regression sets. A retried merge finds its versions and adds none.
import { belongsInRegression, buildCaseFromItem, DEFAULT_SEVERE_CATEGORIES } from '../core/evalsets/case-building';
import { activityLog } from './activity-log';
import { planMerge } from '../core/evalsets/merge';
import type { MergeReport, SetMergeReport } from '../core/evalsets/merge-report';
import type { CaseLabel, EvalSetKind, LabelledItem } from '../core/evalsets/types';
import type { Db } from '../db/client';
import { latestVersion, versionCases, writeVersion } from '../services/evalsets/version-writer';
import { faultPoint } from './fault-injection';

const DEFAULT_SETS: { name: string; kind: EvalSetKind }[] = [
  { name: 'production', kind: 'production' },
  { name: 'regression', kind: 'regression' },
];

async function loadLabelledItems(db: Db, runId: string): Promise<LabelledItem[]> {
  const items = await db.sampleItem.findMany({
    where: { runId, tasks: { some: { status: 'done' } } },
    orderBy: { rank: 'asc' },
    include: { trace: true, tasks: { where: { status: 'done' }, orderBy: { slot: 'asc' }, include: { label: true } } },
  });
  const result: LabelledItem[] = [];
  for (const item of items) {
    const trace = item.trace;
    const earlier = await db.trace.findMany({
      where: { projectId: trace.projectId, sessionId: trace.sessionId, timestamp: { lt: trace.timestamp }, id: { not: trace.id } },
      orderBy: [{ turn: 'asc' }, { timestamp: 'asc' }],
      select: { input: true, output: true },
      take: 20,
    });
    const labels: CaseLabel[] = item.tasks.flatMap((task) =>
      task.label
        ? [{
            reviewerId: task.label.reviewerId,
            scores: { correctness: task.label.correctness, relevance: task.label.relevance, clarity: task.label.clarity, calibration: task.label.calibration, length: task.label.length },
            verdict: task.label.verdict,
            failureCategory: task.label.failureCategory,
            expected: task.label.expected,
            notes: task.label.notes,
          }]
        : [],
    );
    result.push({
      traceId: trace.id,
      externalId: trace.externalId,
      input: trace.input,
      output: trace.output,
      sessionContext: earlier,
      retrievedContext: trace.context as { id: string; text: string }[],
      slice: trace.slice as Record<string, string>,
      runId,
      labels,
    });
  }
  return result;
}

export function createMergeActivities(db: Db) {
  return {
    async mergeLabelsIntoEvalSets({ runId, projectId, sliceDimension }: { runId: string; projectId: string; sliceDimension: string | null }): Promise<MergeReport> {
      const items = await loadLabelledItems(db, runId);
      const candidates = items.map(buildCaseFromItem);
      const sets = await Promise.all(
        DEFAULT_SETS.map((set) =>
          db.evalSet.upsert({ where: { projectId_name: { projectId, name: set.name } }, update: {}, create: { projectId, name: set.name, kind: set.kind } }),
        ),
      );
      const reports: SetMergeReport[] = [];
      for (const set of sets) {
        const forSet = set.kind === 'regression' ? candidates.filter((c) => belongsInRegression(c, DEFAULT_SEVERE_CATEGORIES)) : candidates;
        const report = await db.$transaction(
          async (tx) => {
            const already = await tx.evalSetVersion.findUnique({ where: { evalSetId_runId: { evalSetId: set.id, runId } } });
            if (already) {
              const log = already.changelog as { added: string[]; changed: string[]; skipped: SetMergeReport['skipped'] };
              return { versionId: already.id, version: already.version, added: log.added.length, changed: log.changed.length, skipped: log.skipped };
            }
            const parent = await latestVersion(tx, set.id);
            const existing = parent ? await tx.evalCase.findMany({ where: { id: { in: (await versionCases(tx, parent.id)).map((c) => c.id) } }, select: { caseKey: true, input: true, contentHash: true } }) : [];
            const plan = planMerge(existing.map((c) => ({ ...c, retired: false })), forSet);
            const version = await writeVersion(tx, set.id, { upsert: [...plan.add, ...plan.change], retire: [], skipped: plan.skipped, origin: `merge of run ${runId}`, runId }, sliceDimension);
            return { versionId: version?.id ?? null, version: version?.version ?? null, added: plan.add.length, changed: plan.change.length, skipped: plan.skipped };
          },
          { timeout: 120_000 },
        );
        reports.push({ evalSetId: set.id, name: set.name, kind: set.kind, ...report });
        if (reports.length < sets.length) faultPoint('merge-between-sets');
      }
      const merged = { labelledItems: items.length, needsAdjudication: candidates.filter((c) => c.needsAdjudication).length, sets: reports };
      activityLog().info('merged', { flywheelRunId: runId, projectId, labelledItems: merged.labelledItems, needsAdjudication: merged.needsAdjudication, versions: reports.map((r) => ({ evalSetId: r.evalSetId, version: r.version, added: r.added, changed: r.changed })) });
      return merged;
    },
  };
}
