// A project with three months of stored reports, for the report page and its SVG routes:
// September tracks production, October has drifted (warning), November's correlation is
// undefined (constant offline score). One release name is hostile markup.
import { randomUUID } from 'node:crypto';
import { buildCorrelationReport, headlinesOf, type PreviousHeadlines } from '../../core/correlation/correlation-report';
import type { Cell } from '../../core/correlation/types';
import { buildJudgeAgreementReport, type JudgedCase } from '../../core/judge/agreement-report';
import type { Db } from '../../db/client';

export const HOSTILE_RELEASE = '<img src=x onerror="window.__pwned=1"> & v3';
const RELEASES = ['support-v1', 'support-v2', HOSTILE_RELEASE, 'support-v4', 'support-v5', 'support-v6'];

const counts = (traces: number, thumbsDown: number) => ({ traces, thumbsDown, rephrased: 0, abandoned: Math.round(thumbsDown * 1.5), escalated: Math.round(thumbsDown / 4), regenerated: 0, ratingSum: 0, ratings: 0 });
const judged = (passes: number, fails: number) => ({
  cases: [
    ...Array.from({ length: passes }, () => ({ correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4, verdict: 'pass' as const })),
    ...Array.from({ length: fails }, () => ({ correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3, verdict: 'fail' as const })),
  ],
});

/** `offline(i)`: passes and fails the judge gave release i; each of its two slices got half. */
function cells(offline: (i: number) => [number, number]): { releaseCells: Cell[]; sliceCells: Cell[] } {
  const releaseCells = RELEASES.map((release, i) => ({ release, slice: null, production: counts(400, 12 + 22 * i), offline: judged(...offline(i)) }));
  const sliceCells = RELEASES.flatMap((release, i) =>
    ['billing', 'shipping'].map((slice, j) => ({ release, slice, production: counts(200, 6 + 11 * i + 3 * j), offline: judged(Math.ceil(offline(i)[0] / 2), Math.ceil(offline(i)[1] / 2)) })),
  );
  return { releaseCells, sliceCells };
}

function agreement(agreeing: number, total: number, doubled: boolean) {
  const cases: JudgedCase[] = Array.from({ length: total }, (_, i) => {
    const verdict = i % 3 === 0 ? ('fail' as const) : ('pass' as const);
    const human = { scores: { correctness: verdict === 'pass' ? 5 : 1, relevance: 4, clarity: 4, calibration: 4, length: 4 }, verdict };
    const judge = i < agreeing ? human : { ...human, verdict: verdict === 'pass' ? ('fail' as const) : ('pass' as const) };
    return { caseId: `c${i}`, slice: null, answerLength: 80 + i, humans: doubled && i % 4 === 0 ? [human, { ...human }] : [human], judge };
  });
  return buildJudgeAgreementReport(cases, { seed: 'fixture', metric: 'verdict_agreement', threshold: 0.8, iterations: 100 });
}

export async function seedReportProject(db: Db, name: string): Promise<{ projectId: string; runIds: string[] }> {
  const project = await db.project.create({ data: { name } });
  const months = [
    // Tracks: better offline, fewer thumbs down.
    { period: '2026-09', offline: (i: number): [number, number] => [40 - 5 * i, 5 * i + 1], agreement: agreement(92, 100, true) },
    // Drifted: the offline order no longer follows production.
    { period: '2026-10', offline: (i: number): [number, number] => [15 + 4 * ((i * 5) % 6), 20], agreement: agreement(74, 100, true) },
    // Undefined: every release scores the same offline (drift too: the eval stopped discriminating).
    { period: '2026-11', offline: (): [number, number] => [30, 10], agreement: agreement(85, 100, false) },
  ];
  let previous: PreviousHeadlines | null = null;
  const runIds: string[] = [];
  for (const [index, month] of months.entries()) {
    const createdAt = new Date(Date.UTC(2026, 9 + index, 2));
    const run = await db.flywheelRun.create({
      data: { projectId: project.id, workflowId: `fixture-${randomUUID()}`, status: 'completed', stage: 'completed', periodStart: new Date(`${month.period}-01T00:00:00Z`), createdAt },
    });
    const report = buildCorrelationReport({ ...cells(month.offline), judgedTraces: [], minReleases: 5, seed: run.id, previous, driftMargin: 0.2 });
    previous = headlinesOf(report);
    if (report.drift.warning) await db.flywheelRun.update({ where: { id: run.id }, data: { needsAttention: report.drift.message } });
    await db.correlationReport.create({
      data: { projectId: project.id, runId: run.id, headlineValue: report.headline.value, driftWarning: report.drift.warning, report: JSON.parse(JSON.stringify(report)), createdAt },
    });
    await db.agreementReport.create({
      data: {
        projectId: project.id,
        runId: run.id,
        judgeVersionId: randomUUID(),
        scope: 'run',
        primaryMetric: 'verdict_agreement',
        primaryValue: month.agreement.primary.value,
        threshold: 0.8,
        belowThreshold: month.agreement.primary.below,
        report: JSON.parse(JSON.stringify(month.agreement)),
        createdAt,
      },
    });
    runIds.push(run.id);
  }
  return { projectId: project.id, runIds };
}
