// What a run left in the database, by natural keys instead of generated ids: two runs on
// copies of the same seeded month must give equal fingerprints, whatever happened to them
// on the way. Lists keep duplicates (a row written twice shows up twice).
import { createHash } from 'node:crypto';
import type { Db } from '../../../db/client';

export interface RunFingerprint {
  run: string;
  sampleItems: string[];
  labelTasks: string[];
  labels: string[];
  evalCases: string[];
  evalSetVersions: string[];
  judgeVersions: string[];
  judgeScores: string[];
  agreementReports: string[];
  recalibrations: string[];
  correlationReports: string[];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
const sorted = (rows: string[]) => [...rows].sort();

export async function fingerprint(db: Db, runId: string): Promise<RunFingerprint> {
  const names = new Map<string, string>();
  // Every id a report mentions is replaced by the name of the row it points to; an id
  // with no name stays, and shows as a difference.
  const named = (value: unknown): string => JSON.stringify(value ?? null).replace(UUID, (id) => names.get(id) ?? id);

  const [run, keys, traces, items, tasks, labels, sets, cases, versions, members, judges, scores, agreements, recalibrations, correlations] = await Promise.all([
    db.flywheelRun.findUniqueOrThrow({ where: { id: runId } }),
    db.apiKey.findMany(),
    db.trace.findMany({ select: { id: true, externalId: true } }),
    db.sampleItem.findMany(),
    db.labelTask.findMany(),
    db.label.findMany({ include: { task: { select: { slot: true } } } }),
    db.evalSet.findMany(),
    db.evalCase.findMany(),
    db.evalSetVersion.findMany(),
    db.evalSetVersionCase.findMany(),
    db.judgePromptVersion.findMany(),
    db.judgeScore.findMany(),
    db.agreementReport.findMany(),
    db.recalibration.findMany(),
    db.correlationReport.findMany(),
  ]);
  names.set(runId, 'run');
  for (const key of keys) names.set(key.id, `key:${key.name}`);
  const externalId = new Map(traces.map((t) => [t.id, t.externalId]));
  for (const [id, ext] of externalId) names.set(id, `trace:${ext}`);
  for (const item of items) names.set(item.id, `item:${externalId.get(item.traceId)}`);
  for (const task of tasks) names.set(task.id, `task:${externalId.get(task.traceId)}:${task.slot}`);
  for (const label of labels) names.set(label.id, `label:${externalId.get(label.traceId)}:${label.task.slot}`);
  const setName = new Map(sets.map((s) => [s.id, s.name]));
  for (const set of sets) names.set(set.id, `set:${set.name}`);
  for (const c of cases) names.set(c.id, `case:${setName.get(c.evalSetId)}:${c.caseKey}:${c.contentHash.slice(0, 8)}`);
  for (const v of versions) names.set(v.id, `version:${setName.get(v.evalSetId)}:v${v.version}`);
  for (const j of judges) names.set(j.id, `judge:v${j.version}`);
  for (const a of agreements) names.set(a.id, `agreement:${names.get(a.judgeVersionId)}:${a.scope}`);
  for (const r of recalibrations) names.set(r.id, 'recalibration');
  for (const c of correlations) names.set(c.id, 'correlation');

  const n = (id: string | null) => (id ? (names.get(id) ?? id) : '-');
  const membersOf = new Map<string, string[]>();
  for (const m of members) membersOf.set(m.versionId, [...(membersOf.get(m.versionId) ?? []), n(m.caseId)]);
  const dims = (s: { correctness: number | null; relevance: number | null; clarity: number | null; calibration: number | null; length: number | null }) =>
    `${s.correctness}/${s.relevance}/${s.clarity}/${s.calibration}/${s.length}`;

  return {
    run: named({
      status: run.status,
      stage: run.stage,
      traceCount: run.traceCount,
      needsAttention: run.needsAttention,
      failureCause: run.failureCause,
      settings: run.settings,
      sampleReport: run.sampleReport,
      labelingReport: run.labelingReport,
      summary: run.summary,
    }),
    sampleItems: sorted(items.map((i) => `${n(i.id)} ${i.stratum} rank=${i.rank} slice=${i.sliceValue} ${i.reason}`)),
    labelTasks: sorted(tasks.map((t) => `${n(t.id)} ${t.status} by=${n(t.reviewerId)} skip=${t.skipReason ?? '-'}`)),
    labels: sorted(labels.map((l) => `${n(l.id)} by=${n(l.reviewerId)} ${dims(l)} ${l.verdict} ${l.failureCategory ?? '-'} ${l.expected ?? '-'} ${l.notes ?? '-'}`)),
    evalCases: sorted(cases.map((c) => `${n(c.id)} ${c.verdict ?? '-'} ${c.failureCategory ?? '-'} adjudicate=${c.needsAdjudication} retired=${c.retiredAt !== null} from=${n(c.sourceRunId)} labels=${digest(named(c.labels))}`)),
    evalSetVersions: sorted(
      versions.map((v) => `${n(v.id)} parent=${n(v.parentId)} hash=${v.contentHash} cases=${v.caseCount} counts=${named(v.counts)} changelog=${named(v.changelog)} origin=${v.origin.replace(UUID, (id) => n(id))} run=${n(v.runId)} members=${sorted(membersOf.get(v.id) ?? []).join(',')}`),
    ),
    judgeVersions: sorted(judges.map((j) => `${n(j.id)} ${j.status} parent=${n(j.parentId)} ${j.provider}/${j.model} reason=${j.reason} rubric=${digest(j.rubric)} fewShot=${digest(j.fewShot)} byRun=${n(j.createdByRunId)}`)),
    judgeScores: sorted(scores.map((s) => `${n(s.judgeVersionId)} ${n(s.evalCaseId)} ${s.status} ${dims(s)} ${s.verdict ?? '-'} attempts=${s.attempts} ${s.failureReason ?? ''}`)),
    agreementReports: sorted(
      // Bootstrap intervals are seeded by the judge version's id, which only the template's judge shares across copies.
      agreements.map((a) => `${n(a.id)} ${a.primaryMetric}=${a.primaryValue} threshold=${a.threshold} below=${a.belowThreshold}${n(a.judgeVersionId) === 'judge:v1' ? ` report=${digest(named(a.report))}` : ''}`),
    ),
    recalibrations: recalibrations.map((r) => `${r.decision} active=${n(r.activeVersionId)} promoted=${n(r.promotedVersionId)} ${r.reason} split=${named(r.split)} candidates=${named(r.candidates)}`),
    correlationReports: correlations.map((c) => `judge=${n(c.judgeVersionId)} headline=${c.headlineValue} drift=${c.driftWarning} report=${digest(named(c.report))}`),
  };
}
