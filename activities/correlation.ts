// Eval-to-production correlation for a run: production quality per release (and release x
// slice) from the period's traces, offline scores from the active judge on the production
// set's cases each release answered, and trace-level predictive validity.
import { buildCorrelationReport } from '../core/correlation/correlation-report';
import type { Cell, JudgedTrace, OfflineScores, ProductionCounts } from '../core/correlation/types';
import type { Db } from '../db/client';
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

export function createCorrelationActivities(db: Db) {
  return {
    /** The cases of the latest production set version (what the offline score is measured on). */
    async currentProductionCases({ projectId }: { projectId: string }): Promise<string[]> {
      const set = await db.evalSet.findFirst({ where: { projectId, kind: 'production' } });
      if (!set) return [];
      const latest = await db.evalSetVersion.findFirst({ where: { evalSetId: set.id }, orderBy: { version: 'desc' } });
      if (!latest) return [];
      return (await db.evalSetVersionCase.findMany({ where: { versionId: latest.id }, select: { caseId: true } })).map((c) => c.caseId);
    },

    async computeCorrelation(input: {
      runId: string;
      projectId: string;
      periodStart: string;
      periodEnd: string;
      judgeVersionId: string;
      caseIds: string[];
      sliceDimension: string | null;
      minReleases: number;
      driftMargin: number;
    }): Promise<{ reportId: string; headline: unknown; driftWarning: boolean }> {
      const done = await db.correlationReport.findUnique({ where: { runId: input.runId } });
      if (done) return { reportId: done.id, headline: (done.report as { headline?: unknown }).headline ?? null, driftWarning: done.driftWarning };

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

      const judged = await db.$queryRawUnsafe<
        { release: string | null; slice_value: string | null; correctness: number; relevance: number; clarity: number; calibration: number; length: number; verdict: string; negative: boolean }[]
      >(
        `SELECT r.name AS release, CASE WHEN $3 = '' THEN NULL ELSE COALESCE(t.slice->>$3, '(none)') END AS slice_value,
                s.correctness, s.relevance, s.clarity, s.calibration, s.length, s.verdict,
                cardinality(t.negative_signals) > 0 AS negative
           FROM judge_score s
           JOIN eval_case c ON c.id = s.eval_case_id
           JOIN trace t ON t.id = c.source_trace_id
           LEFT JOIN release r ON r.id = t.release_id
          WHERE s.judge_version_id = $1::uuid AND s.status = 'scored' AND s.eval_case_id = ANY($2::uuid[])
          -- The bootstrap resamples by position: a fixed order makes the seeded intervals reproducible.
          ORDER BY c.case_key, c.id`,
        input.judgeVersionId,
        input.caseIds,
        input.sliceDimension ?? '',
      );
      const offlineFor = (release: string, slice: string | null): OfflineScores => ({
        cases: judged
          .filter((j) => j.release === release && (slice === null || j.slice_value === slice))
          .map((j) => ({ correctness: j.correctness, relevance: j.relevance, clarity: j.clarity, calibration: j.calibration, length: j.length, verdict: j.verdict as 'pass' | 'fail' })),
      });
      const cells: Cell[] = counts.map((row) => ({ release: row.release, slice: row.slice, production: toCounts(row), offline: offlineFor(row.release, row.slice) }));
      const judgedTraces: JudgedTrace[] = judged.map((j) => ({ scores: { correctness: j.correctness, relevance: j.relevance, clarity: j.clarity, calibration: j.calibration, length: j.length }, negative: j.negative }));

      const previousRow = await db.correlationReport.findFirst({ where: { projectId: input.projectId, runId: { not: input.runId } }, orderBy: { createdAt: 'desc' } });
      const report = buildCorrelationReport({
        releaseCells: cells.filter((c) => c.slice === null),
        sliceCells: cells.filter((c) => c.slice !== null),
        judgedTraces,
        minReleases: input.minReleases,
        seed: input.runId,
        previous: previousRow ? ((previousRow.report as { headline?: unknown }).headline as never) ?? null : null,
        driftMargin: input.driftMargin,
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
        if (report.drift.warning) {
          // Added to whatever else the run already needs a person for.
          await tx.$executeRawUnsafe(`UPDATE flywheel_run SET needs_attention = concat_ws('; ', needs_attention, $2) WHERE id = $1::uuid`, input.runId, report.drift.message ?? 'the eval set has drifted from production');
        }
        return stored;
      });
      faultPoint('correlation-stored');
      return { reportId: row.id, headline: report.headline, driftWarning: report.drift.warning };
    },
  };
}
