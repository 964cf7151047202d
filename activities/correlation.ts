// Eval-to-production correlation for a run: production quality per release (and release x
// slice) from the period's traces, offline scores from the active judge on the production
// set's cases each release answered, and trace-level predictive validity. The regression
// set's scores are reported beside them, per release and cell, and never mixed in.
import { buildCorrelationReport, headlinesOf, type CorrelationReport } from '../core/correlation/correlation-report';
import { flagRunForAttention } from '../services/run-attention';
import { activityLog } from './activity-log';
import type { Cell, JudgedTrace, OfflineScores, ProductionCounts, RegressionCell } from '../core/correlation/types';
import type { Db } from '../db/client';
import type { EvalSetKind } from '../generated/prisma/enums';
import { faultPoint } from './fault-injection';

interface CountRow {
  release: string;
  slice: string | null;
  traces: bigint;
  thumbs_down: bigint;
  rephrased: bigint;
  abandoned: bigint;
  escalated: bigint;
  regenerated: bigint;
  rating_sum: bigint | null;
  ratings: bigint;
}

const toCounts = (r: CountRow): ProductionCounts => ({
  traces: Number(r.traces),
  thumbsDown: Number(r.thumbs_down),
  rephrased: Number(r.rephrased),
  abandoned: Number(r.abandoned),
  escalated: Number(r.escalated),
  regenerated: Number(r.regenerated),
  ratingSum: Number(r.rating_sum ?? 0),
  ratings: Number(r.ratings),
});

/**
 * What counts as a user telling us the answer was bad, for trace-level predictive validity.
 * Not latency, session length or guardrail flags: those are sampled on, but they are not the
 * user's verdict on the answer.
 */
const USER_DISSATISFACTION_SIGNALS = ['thumbs_down', 'low_rating', 'rephrase', 'abandoned', 'escalated', 'regenerated'] as const;

interface JudgedCaseRow {
  release: string | null;
  slice_value: string | null;
  correctness: number;
  relevance: number;
  clarity: number;
  calibration: number;
  length: number;
  verdict: string;
  negative: boolean;
}

/** The judge's scores of these cases' own outputs, with the release and slice of each case's source trace. */
function loadJudgedCaseRows(db: Db, judgeVersionId: string, caseIds: string[], sliceDimension: string | null): Promise<JudgedCaseRow[]> {
  return db.$queryRawUnsafe<JudgedCaseRow[]>(
    `SELECT r.name AS release, CASE WHEN $3 = '' THEN NULL ELSE COALESCE(t.slice->>$3, '(none)') END AS slice_value,
            s.correctness, s.relevance, s.clarity, s.calibration, s.length, s.verdict,
            t.negative_signals && $4::text[] AS negative
       FROM judge_score s
       JOIN eval_case c ON c.id = s.eval_case_id
       JOIN trace t ON t.id = c.source_trace_id
       LEFT JOIN release r ON r.id = t.release_id
      WHERE s.judge_version_id = $1::uuid AND s.status = 'scored' AND s.eval_case_id = ANY($2::uuid[])
      -- The bootstrap resamples by position: a fixed order makes the seeded intervals reproducible.
      ORDER BY c.case_key, c.id`,
    judgeVersionId,
    caseIds,
    sliceDimension ?? '',
    [...USER_DISSATISFACTION_SIGNALS],
  );
}

const offlineOf = (rows: JudgedCaseRow[], release: string, slice: string | null): OfflineScores => ({
  cases: rows
    .filter((j) => j.release === release && (slice === null || j.slice_value === slice))
    .map((j) => ({ correctness: j.correctness, relevance: j.relevance, clarity: j.clarity, calibration: j.calibration, length: j.length, verdict: j.verdict as 'pass' | 'fail' })),
});

/** The cases of the latest version of the project's set of this kind (empty when there is none). */
async function latestSetCases(db: Db, projectId: string, kind: EvalSetKind): Promise<string[]> {
  const set = await db.evalSet.findFirst({ where: { projectId, kind } });
  if (!set) return [];
  const latest = await db.evalSetVersion.findFirst({ where: { evalSetId: set.id }, orderBy: { version: 'desc' } });
  if (!latest) return [];
  return (await db.evalSetVersionCase.findMany({ where: { versionId: latest.id }, select: { caseId: true } })).map((c) => c.caseId);
}

export function createCorrelationActivities(db: Db) {
  /**
   * Adds the drift message to whatever else the run already needs a person for, once: a
   * retried activity finds it there and adds nothing. (`$2::text`: concat_ws takes "any",
   * so PostgreSQL cannot infer an untyped parameter's type there.)
   */
  const markDrift = (runId: string, message: string | null) => flagRunForAttention(db, runId, message ?? 'the eval set has drifted from production');

  return {
    /** The cases of the latest production set version (what the offline score is measured on). */
    currentProductionCases({ projectId }: { projectId: string }): Promise<string[]> {
      return latestSetCases(db, projectId, 'production');
    },

    /** The cases of the latest regression set version (reported beside production, never mixed in). */
    currentRegressionCases({ projectId }: { projectId: string }): Promise<string[]> {
      return latestSetCases(db, projectId, 'regression');
    },

    async computeCorrelation(input: {
      runId: string;
      projectId: string;
      periodStart: string;
      periodEnd: string;
      judgeVersionId: string;
      caseIds: string[];
      /** Absent in runs started before the regression set was reported. */
      regressionCaseIds?: string[];
      sliceDimension: string | null;
      minReleases: number;
      driftMargin: number;
    }): Promise<{ reportId: string; headline: unknown; driftWarning: boolean }> {
      const done = await db.correlationReport.findUnique({ where: { runId: input.runId } });
      if (done) {
        // A retry after the report was stored still makes sure the run is flagged (idempotent).
        if (done.driftWarning) await markDrift(input.runId, (done.report as { drift?: { message?: string | null } }).drift?.message ?? null);
        return { reportId: done.id, headline: (done.report as { headline?: unknown }).headline ?? null, driftWarning: done.driftWarning };
      }

      const counts = (
        await db.$queryRawUnsafe<(CountRow & { whole_release: number })[]>(
          `SELECT release, slice_value AS slice, GROUPING(slice_value) AS whole_release,
                  count(*) AS traces,
                  count(*) FILTER (WHERE thumb = 'down') AS thumbs_down,
                  count(*) FILTER (WHERE 'rephrase' = ANY(negative_signals)) AS rephrased,
                  count(*) FILTER (WHERE 'abandoned' = ANY(negative_signals)) AS abandoned,
                  count(*) FILTER (WHERE escalated) AS escalated,
                  count(*) FILTER (WHERE regenerated) AS regenerated,
                  sum(rating) AS rating_sum, count(rating) AS ratings
             FROM (SELECT r.name AS release, CASE WHEN $4 = '' THEN NULL ELSE COALESCE(t.slice->>$4, '(none)') END AS slice_value,
                          t.thumb::text AS thumb, t.negative_signals, t.escalated, t.regenerated, t.rating
                     FROM trace t JOIN release r ON r.id = t.release_id
                    WHERE t.project_id = $1::uuid AND t.timestamp >= $2::timestamptz AND t.timestamp < $3::timestamptz) x
            GROUP BY GROUPING SETS ((release), (release, slice_value))
            ORDER BY release, slice_value NULLS FIRST`,
          input.projectId,
          input.periodStart,
          input.periodEnd,
          input.sliceDimension ?? '',
        )
      )
        // Without a slice dimension there are only whole-release cells.
        .filter((row) => Number(row.whole_release) === 1 || input.sliceDimension)
        .map((row) => ({ ...row, slice: Number(row.whole_release) === 1 ? null : (row.slice ?? '(none)') }));

      const judged = await loadJudgedCaseRows(db, input.judgeVersionId, input.caseIds, input.sliceDimension);
      const regressionJudged = input.regressionCaseIds ? await loadJudgedCaseRows(db, input.judgeVersionId, input.regressionCaseIds, input.sliceDimension) : null;
      const cells: Cell[] = counts.map((row) => ({ release: row.release, slice: row.slice, production: toCounts(row), offline: offlineOf(judged, row.release, row.slice) }));
      // The same releases and cells as production, so the two sections read side by side.
      const regressionCells: RegressionCell[] | undefined = regressionJudged
        ? counts.map((row) => ({ release: row.release, slice: row.slice, offline: offlineOf(regressionJudged, row.release, row.slice) }))
        : undefined;
      const judgedTraces: JudgedTrace[] = judged.map((j) => ({ scores: { correctness: j.correctness, relevance: j.relevance, clarity: j.clarity, calibration: j.calibration, length: j.length }, negative: j.negative }));

      // The previous period's report (its latest run), not merely the newest report: a period
      // re-run or run late must not compare itself with a later month.
      const [previousRow] = await db.$queryRawUnsafe<{ report: CorrelationReport }[]>(
        `SELECT cr.report FROM correlation_report cr JOIN flywheel_run fr ON fr.id = cr.run_id
          WHERE cr.project_id = $1::uuid AND cr.run_id <> $2::uuid AND fr.period_start < $3::timestamptz
          ORDER BY fr.period_start DESC, cr.created_at DESC LIMIT 1`,
        input.projectId,
        input.runId,
        input.periodStart,
      );
      const report = buildCorrelationReport({
        releaseCells: cells.filter((c) => c.slice === null),
        sliceCells: cells.filter((c) => c.slice !== null),
        judgedTraces,
        minReleases: input.minReleases,
        seed: input.runId,
        previous: previousRow ? headlinesOf(previousRow.report) : null,
        driftMargin: input.driftMargin,
        regressionCells,
      });
      // The report and its drift note commit together: a retry after a lost worker finds
      // both (and returns above), never a report whose warning was not passed on.
      const row = await db.$transaction(async (tx) => {
        const stored = await tx.correlationReport.create({
          data: {
            projectId: input.projectId,
            runId: input.runId,
            judgeVersionId: input.judgeVersionId,
            headlineValue: report.headline.value,
            driftWarning: report.drift.warning,
            report: JSON.parse(JSON.stringify(report)),
          },
        });
        // Added to whatever else the run already needs a person for.
        if (report.drift.warning) await flagRunForAttention(tx, input.runId, report.drift.message ?? 'the eval set has drifted from production');
        return stored;
      });
      faultPoint('correlation-stored');
      activityLog().info('correlated', { flywheelRunId: input.runId, projectId: input.projectId, correlationReportId: row.id, headline: report.headline.value, driftWarning: report.drift.warning });
      return { reportId: row.id, headline: report.headline, driftWarning: report.drift.warning };
    },
  };
}
