// Sampling a run's period: counting and picking happen in SQL (nothing loads the
// period's traces into memory); how many to take per cell is decided by core/sampling.
import { allocateSample, activeStrata, UNTAGGED_SLICE, type CellAllocation } from '../core/sampling/allocation';
import { keepDistinctCandidates } from '../core/sampling/near-duplicates';
import type { SamplingPolicy, StratumKind } from '../core/sampling/policy';
import type { SampleReport } from '../core/sampling/sample-report';
import type { FlywheelRunInput } from '../core/runs/run-stage';
import type { Db } from '../db/client';

/** Which signals put a trace in each stratum (a trace counts in its first stratum). */
export const STRATUM_SIGNALS: Record<StratumKind, readonly string[]> = {
  negative_feedback: ['thumbs_down', 'low_rating', 'escalated', 'regenerated'],
  rephrase: ['rephrase'],
  abandoned: ['abandoned'],
  long_session: ['long_session'],
  high_latency: ['high_latency'],
  guardrail_flagged: ['guardrail_flagged'],
};

// Candidates fetched per cell beyond its count, to replace near-duplicates.
const OVERFETCH = (count: number) => count * 2 + 10;

function stratumCase(strata: StratumKind[], firstParam: number): { sql: string; params: string[][] } {
  const branches = strata.map((s, i) => `WHEN t.negative_signals && $${firstParam + i}::text[] THEN '${s}'`);
  return { sql: `CASE ${branches.join(' ')} ELSE 'baseline' END`, params: strata.map((s) => [...STRATUM_SIGNALS[s]]) };
}

export function createSamplingActivities(db: Db) {
  return {
    async sampleProductionTraces(input: FlywheelRunInput & { policy: SamplingPolicy }): Promise<SampleReport> {
      const run = await db.flywheelRun.findUniqueOrThrow({ where: { id: input.runId }, select: { sampleReport: true } });
      if (run.sampleReport) return run.sampleReport as unknown as SampleReport;

      const { policy } = input;
      const seed = policy.seed ?? input.runId;
      const strata = activeStrata(policy);
      const stratum = stratumCase(strata, 5);
      const sliceExpr = policy.sliceDimension ? `COALESCE(t.slice->>$4, '${UNTAGGED_SLICE}')` : `'${UNTAGGED_SLICE}'`;
      const eligible = `SELECT t.id, t.input, t.negative_signals, ${sliceExpr} AS slice_value, ${stratum.sql} AS stratum
          FROM trace t
         WHERE t.project_id = $1::uuid AND t.timestamp >= $2::timestamptz AND t.timestamp < $3::timestamptz
           AND NOT EXISTS (SELECT 1 FROM label l WHERE l.trace_id = t.id)`;
      const baseParams = [input.projectId, input.periodStart, input.periodEnd, policy.sliceDimension ?? '', ...stratum.params];

      const [counts, labelled] = await Promise.all([
        db.$queryRawUnsafe<{ slice_value: string; stratum: string; n: bigint }[]>(
          `SELECT slice_value, stratum, count(*) AS n FROM (${eligible}) e GROUP BY slice_value, stratum`,
          ...baseParams,
        ),
        db.$queryRawUnsafe<{ n: bigint }[]>(
          `SELECT count(*) AS n FROM trace t WHERE t.project_id = $1::uuid AND t.timestamp >= $2::timestamptz AND t.timestamp < $3::timestamptz
             AND EXISTS (SELECT 1 FROM label l WHERE l.trace_id = t.id)`,
          input.projectId,
          input.periodStart,
          input.periodEnd,
        ),
      ]);
      const sliceTotals = new Map<string, number>();
      for (const row of counts) sliceTotals.set(row.slice_value, (sliceTotals.get(row.slice_value) ?? 0) + Number(row.n));
      const allocation = allocateSample(policy, {
        slices: [...sliceTotals.entries()].map(([slice, total]) => ({ slice, total })),
        cells: counts.filter((row) => row.stratum !== 'baseline').map((row) => ({ stratum: row.stratum as StratumKind, slice: row.slice_value, available: Number(row.n) })),
      });
      const cells = allocation.cells.filter((c) => c.count > 0);

      const candidates = cells.length
        ? await db.$queryRawUnsafe<{ id: string; input: string; negative_signals: string[]; slice_value: string; stratum: string; rn: bigint }[]>(
            `WITH eligible AS (${eligible}),
                  ranked AS (SELECT e.*, row_number() OVER (PARTITION BY e.stratum, e.slice_value ORDER BY md5($${5 + strata.length}::text || ':' || e.id::text)) AS rn FROM eligible e)
             SELECT r.id, r.input, r.negative_signals, r.slice_value, r.stratum, r.rn
               FROM ranked r
               JOIN unnest($${6 + strata.length}::text[], $${7 + strata.length}::text[], $${8 + strata.length}::int[]) AS c(stratum, slice, lim)
                 ON c.stratum = r.stratum AND c.slice = r.slice_value AND r.rn <= c.lim`,
            ...baseParams,
            seed,
            cells.map((c) => c.stratum),
            cells.map((c) => c.slice),
            cells.map((c) => OVERFETCH(c.count)),
          )
        : [];

      // Cells in allocation order (strata by priority, baseline last); within a cell, seeded order.
      const byCell = new Map<string, typeof candidates>();
      for (const row of candidates) {
        const key = `${row.stratum}\u0000${row.slice_value}`;
        byCell.set(key, [...(byCell.get(key) ?? []), row]);
      }
      const ordered = cells.flatMap((cell: CellAllocation) =>
        (byCell.get(`${cell.stratum}\u0000${cell.slice}`) ?? []).sort((a, b) => Number(a.rn - b.rn)).map((row) => ({ row, cell })),
      );
      const { kept, excluded } = keepDistinctCandidates(
        ordered.map(({ row, cell }) => ({ traceId: row.id, input: row.input, group: `${cell.stratum}\u0000${cell.slice}`, quota: cell.count })),
      );
      const chosen = new Set(kept.map((k) => k.traceId));
      const picked = ordered.filter(({ row }) => chosen.has(row.id));

      const byStratum: Record<string, number> = {};
      const bySlice: Record<string, number> = {};
      for (const { cell } of picked) {
        byStratum[cell.stratum] = (byStratum[cell.stratum] ?? 0) + 1;
        bySlice[cell.slice] = (bySlice[cell.slice] ?? 0) + 1;
      }
      const shortfalls = [...allocation.shortfalls];
      const missing = allocation.total - picked.length;
      if (missing > 0) shortfalls.push(`${missing} fewer than allocated: near-duplicates left too few distinct traces in some cells`);
      const report: SampleReport = {
        seed,
        requested: policy.sampleSize,
        sampled: picked.length,
        eligible: [...sliceTotals.values()].reduce((a, b) => a + b, 0),
        byStratum,
        bySlice,
        sliceDimension: policy.sliceDimension,
        excluded: { alreadyLabelled: Number(labelled[0]?.n ?? 0), inEvalSet: 0, nearDuplicates: excluded.length },
        shortfalls,
      };

      const reasonOf = (row: (typeof candidates)[number], stratumName: string) =>
        stratumName === 'baseline'
          ? `random baseline for ${policy.sliceDimension ?? 'slice'} ${row.slice_value}`
          : `${stratumName}: ${row.negative_signals.filter((s) => STRATUM_SIGNALS[stratumName as StratumKind].includes(s)).join(', ')}`;
      await db.$transaction(async (tx) => {
        await tx.sampleItem.createMany({
          data: picked.map(({ row, cell }, rank) => ({ runId: input.runId, traceId: row.id, stratum: cell.stratum, reason: reasonOf(row, cell.stratum), sliceValue: row.slice_value, rank })),
          skipDuplicates: true,
        });
        await tx.flywheelRun.update({ where: { id: input.runId }, data: { sampleReport: JSON.parse(JSON.stringify(report)) } });
      });
      return report;
    },
  };
}
