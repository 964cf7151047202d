// Prints a run's report: sample, labels, set versions, agreement, recalibration, correlation.
import type { CorrelationReport } from '../core/correlation/correlation-report';
import { formatCorrelationReport } from '../core/correlation/correlation-table';
import type { Gql } from './graphql-client';

export const RUN_REPORT_QUERY = `query($id: ID!) { flywheelRun(id: $id) {
  id workflowId status stage failureCause needsAttention periodStart periodEnd traceCount
  sampleReport labelingReport mergeReport judging settings
  recalibration { decision reason candidates split promotedVersionId }
  labelingProgress { total done skipped expired open closed closeReason }
  correlation { report }
} }`;

const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);

export async function fetchRun(gql: Gql, runId: string) {
  return (await gql<{ flywheelRun: Record<string, any> }>(RUN_REPORT_QUERY, { id: runId })).flywheelRun;
}

export function formatRunReport(run: Record<string, any>): string {
  const lines: string[] = [];
  lines.push(`Run ${run.id}  (${run.workflowId})`);
  lines.push(`  status ${run.status}, stage ${run.stage}, period ${run.periodStart?.slice(0, 10)} .. ${run.periodEnd?.slice(0, 10)}, ${run.traceCount ?? 0} traces`);
  if (run.failureCause) lines.push(`  failure: ${run.failureCause}`);
  if (run.needsAttention) lines.push(`  NEEDS ATTENTION: ${run.needsAttention}`);
  const s = run.sampleReport;
  if (s) {
    lines.push(`Sample: ${s.sampled} of ${s.eligible} eligible (seed ${s.seed})`);
    lines.push(`  by stratum: ${Object.entries(s.byStratum).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    lines.push(`  by ${s.sliceDimension ?? 'slice'}: ${Object.entries(s.bySlice).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    lines.push(`  excluded: ${s.excluded.alreadyLabelled} already labelled, ${s.excluded.nearDuplicates} near-duplicates`);
    for (const note of s.shortfalls ?? []) lines.push(`  note: ${note}`);
  }
  const l = run.labelingReport;
  if (l) {
    lines.push(`Labels: ${l.done} done, ${l.skipped} skipped, ${l.expired} expired of ${l.total} tasks (closed: ${l.closeReason})`);
    const iaa = l.interAnnotator;
    if (iaa?.items) lines.push(`  reviewer vs reviewer on ${iaa.items} double-labelled traces: verdict agreement ${pct(iaa.verdict.agreement)}, kappa ${iaa.verdict.kappa?.toFixed(2) ?? 'n/a'}`);
  }
  for (const set of run.mergeReport?.sets ?? []) {
    lines.push(`Eval set ${set.name}: ${set.version ? `v${set.version}` : 'unchanged'} (+${set.added} added, ${set.changed} changed, ${set.skipped.length} skipped)`);
  }
  if (run.mergeReport?.needsAdjudication) lines.push(`  ${run.mergeReport.needsAdjudication} cases flagged for adjudication (reviewers disagreed)`);
  const j = run.judging;
  if (j) {
    lines.push(`Judge v${j.judgeVersion}: ${j.scored} scored, ${j.failed} failed; ${j.primary?.metric} vs humans ${pct(j.primary?.value)} (n=${j.primary?.n}, threshold ${pct(j.primary?.threshold)})`);
  }
  const r = run.recalibration;
  if (r) {
    lines.push(`Recalibration: ${r.decision} — ${r.reason}`);
    for (const c of r.candidates ?? []) lines.push(`  v${c.version} (${c.role}): ${pct(c.value)} on ${c.n} validation cases — ${c.reason}`);
  }
  if (run.correlation?.report) lines.push(...formatCorrelationReport(run.correlation.report as CorrelationReport, 'releases'));
  else if (run.status !== 'running') lines.push('Correlation: no report for this run (it is made after labelling and judging)');
  return lines.join('\n');
}
