// Sampling a run's period: counting and picking happen in SQL (nothing loads the
// period's traces into memory); how many to take per cell is decided by core/sampling.
import { createHash } from 'node:crypto';
import { allocateSample, activeStrata, UNTAGGED_SLICE, type CellAllocation } from '../core/sampling/allocation';
import { keepDistinctCandidates } from '../core/sampling/near-duplicates';
import type { SamplingPolicy, StratumKind } from '../core/sampling/policy';
import { NEGATIVE_SIGNAL_KINDS, type SignalKind } from '../core/signals/derive-signals';
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

// Within a cell, traces are picked in seeded md5 order (core/sampling/seeded-order). md5
// costs about a microsecond a row in PostgreSQL, which is most of the time on a million
// traces, so a cell much larger than the `lim` candidates it needs is thinned first: only
// its traces whose seeded 64-bit hash uuid_hash_extended(id, key) has its `bits` lowest
// bits zero (a 2^-bits share, nested as `bits` grows) are ranked by md5. `bits` is the
// largest that still leaves PREFILTER_TARGET(lim) traces on average, at least twice the
// need, so coming up short is astronomically rare; when it happens the cell is ranked
// whole. A cell ranked whole (the small ones) is picked exactly as orderBySampleKey
// orders it; a thinned one by md5 order within its seeded subset: as random, and as
// reproducible, since `bits` depends only on the counts and the policy.
const PREFILTER_TARGET = (lim: number) => 2 * lim + 64;

/** Lowest hash bits that must be zero for a trace of a cell to be ranked (0: rank it whole). */
export function prefilterBits(available: number, lim: number): number {
  let bits = 0;
  while (bits < 48 && available / 2 ** (bits + 1) >= PREFILTER_TARGET(lim)) bits += 1;
  return bits;
}

/** The uuid_hash_extended seed of a sampling seed: the first 64 bits of its md5, signed. */
function hashKey(seed: string): string {
  return BigInt.asIntN(64, BigInt(`0x${createHash('md5').update(seed, 'utf8').digest('hex').slice(0, 16)}`)).toString();
}

/** The trace_sampling_key.negative_mask bits of these signal kinds (bit i = NEGATIVE_SIGNAL_KINDS[i]). */
export function negativeMaskOf(kinds: readonly string[]): number {
  let mask = 0;
  for (const kind of kinds) {
    const bit = NEGATIVE_SIGNAL_KINDS.indexOf(kind as SignalKind);
    // A stratum signal outside the mask would silently never match.
    if (bit < 0) throw new RangeError(`${kind} is not a negative signal kind`);
    mask |= 1 << bit;
  }
  return mask;
}

function stratumCase(strata: StratumKind[], firstParam: number): { sql: string; params: number[] } {
  const branches = strata.map((s, i) => `WHEN k.negative_mask & $${firstParam + i}::int <> 0 THEN '${s}'`);
  // Most traces have no signal: one test instead of one per stratum.
  return {
    sql: `CASE WHEN k.negative_mask = 0 THEN 'baseline' ${branches.join(' ')} ELSE 'baseline' END`,
    params: strata.map((s) => negativeMaskOf(STRATUM_SIGNALS[s])),
  };
}

// The activity's own limit (workflows/flywheel-run.ts); the reads below never outlive it.
const READ_TIMEOUT_MS = 2 * 60_000;

/**
 * A read with JIT compilation off: on these one-pass scans PostgreSQL spends 100–200 ms
 * compiling expressions per query, more than they then save.
 */
function readWithoutJit<T>(db: Db, sql: string, ...params: unknown[]): Promise<T> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL jit = off');
      return tx.$queryRawUnsafe<T>(sql, ...params);
    },
    { timeout: READ_TIMEOUT_MS, maxWait: READ_TIMEOUT_MS },
  );
}

type CandidateRow = { id: string; input: string; negative_signals: string[]; slice_value: string; stratum: string; rn: bigint; survivors: bigint };

export function createSamplingActivities(db: Db) {
  return {
    async sampleProductionTraces(input: FlywheelRunInput & { policy: SamplingPolicy }): Promise<SampleReport> {
      const run = await db.flywheelRun.findUniqueOrThrow({ where: { id: input.runId }, select: { sampleReport: true } });
      if (run.sampleReport) return run.sampleReport as unknown as SampleReport;

      const { policy } = input;
      const seed = policy.seed ?? input.runId;
      const strata = activeStrata(policy);
      const stratum = stratumCase(strata, 5);
      // Both passes read trace_sampling_key (the sampling columns of trace, kept by triggers)
      // and go to trace itself only for the few hundred candidates they return.
      const sliceExpr = policy.sliceDimension ? `COALESCE(k.slice->>$4, '${UNTAGGED_SLICE}')` : `'${UNTAGGED_SLICE}'`;
      const inPeriod = 'k.project_id = $1::uuid AND k.timestamp >= $2::timestamptz AND k.timestamp < $3::timestamptz';
      const baseParams = [input.projectId, input.periodStart, input.periodEnd, policy.sliceDimension ?? '', ...stratum.params];

      // Eligible traces per cell = the period's traces per cell minus its labelled ones:
      // the big count needs no join, the small one starts from the labels.
      const cellCounts = (filter: string) =>
        `SELECT ${sliceExpr} AS slice_value, ${stratum.sql} AS stratum, count(*) AS n FROM trace_sampling_key k WHERE ${inPeriod}${filter} GROUP BY 1, 2`;
      const [all, labelled] = await Promise.all([
        readWithoutJit<{ slice_value: string; stratum: string; n: bigint }[]>(db, cellCounts(''), ...baseParams),
        db.$queryRawUnsafe<{ slice_value: string; stratum: string; n: bigint }[]>(
          cellCounts(' AND EXISTS (SELECT 1 FROM label l WHERE l.trace_id = k.trace_id)'),
          ...baseParams,
        ),
      ]);
      const cellKey = (c: { stratum: string; slice: string }) => `${c.stratum}\u0000${c.slice}`;
      const labelledIn = new Map(labelled.map((row) => [cellKey({ stratum: row.stratum, slice: row.slice_value }), Number(row.n)]));
      const counts = all
        .map((row) => ({ ...row, n: Number(row.n) - (labelledIn.get(cellKey({ stratum: row.stratum, slice: row.slice_value })) ?? 0) }))
        .filter((row) => row.n > 0);
      const sliceTotals = new Map<string, number>();
      const available = new Map<string, number>();
      for (const row of counts) {
        sliceTotals.set(row.slice_value, (sliceTotals.get(row.slice_value) ?? 0) + row.n);
        available.set(cellKey({ stratum: row.stratum, slice: row.slice_value }), row.n);
      }
      const allocation = allocateSample(policy, {
        slices: [...sliceTotals.entries()].map(([slice, total]) => ({ slice, total })),
        cells: counts.filter((row) => row.stratum !== 'baseline').map((row) => ({ stratum: row.stratum as StratumKind, slice: row.slice_value, available: row.n })),
      });
      const cells = allocation.cells.filter((c) => c.count > 0);

      // Up to `lim` candidates of each cell, in pick order (rn); `survivors` is how many of
      // the cell's traces passed its prefilter.
      const fetchCandidates = (wanted: { cell: CellAllocation; bits: number }[]) =>
        readWithoutJit<CandidateRow[]>(
          db,
          `WITH eligible AS (
                  SELECT k.trace_id AS id, ${sliceExpr} AS slice_value, ${stratum.sql} AS stratum
                    FROM trace_sampling_key k
                   WHERE ${inPeriod}),
                thinned AS (
                  SELECT e.*, c.lim
                    FROM eligible e
                    JOIN unnest($${6 + strata.length}::text[], $${7 + strata.length}::text[], $${8 + strata.length}::int[], $${9 + strata.length}::int8[])
                           AS c(stratum, slice, lim, prefilter)
                      ON c.stratum = e.stratum AND c.slice = e.slice_value
                   WHERE c.prefilter = 0 OR (uuid_hash_extended(e.id, $${10 + strata.length}::int8) & c.prefilter) = 0),
                ranked AS (
                  SELECT h.*,
                         row_number() OVER w AS rn,
                         count(*) OVER (PARTITION BY h.stratum, h.slice_value) AS survivors
                    FROM thinned h
                   WHERE NOT EXISTS (SELECT 1 FROM label l WHERE l.trace_id = h.id)
                  WINDOW w AS (PARTITION BY h.stratum, h.slice_value
                               ORDER BY md5($${5 + strata.length}::text || ':' || h.id::text) COLLATE "C", h.id::text COLLATE "C"))
           SELECT r.id, t.input, t.negative_signals, r.slice_value, r.stratum, r.rn, r.survivors
             FROM ranked r
             JOIN trace t ON t.id = r.id
            WHERE r.rn <= r.lim`,
          ...baseParams,
          seed,
          wanted.map((w) => w.cell.stratum),
          wanted.map((w) => w.cell.slice),
          wanted.map((w) => OVERFETCH(w.cell.count)),
          wanted.map((w) => (2n ** BigInt(w.bits) - 1n).toString()),
          hashKey(seed),
        );
      const planned = cells.map((cell) => ({ cell, bits: prefilterBits(available.get(cellKey(cell)) ?? 0, OVERFETCH(cell.count)) }));
      let candidates = planned.length ? await fetchCandidates(planned) : [];
      // A thinned cell whose subset came up short of its need is ranked whole after all.
      const survivorsOf = new Map<string, number>();
      for (const row of candidates) survivorsOf.set(cellKey({ stratum: row.stratum, slice: row.slice_value }), Number(row.survivors));
      const short = planned.filter((p) => p.bits > 0 && (survivorsOf.get(cellKey(p.cell)) ?? 0) < OVERFETCH(p.cell.count));
      if (short.length) {
        const redo = new Set(short.map((p) => cellKey(p.cell)));
        candidates = [
          ...candidates.filter((row) => !redo.has(cellKey({ stratum: row.stratum, slice: row.slice_value }))),
          ...(await fetchCandidates(short.map((p) => ({ cell: p.cell, bits: 0 })))),
        ];
      }

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
        excluded: { alreadyLabelled: labelled.reduce((sum, row) => sum + Number(row.n), 0), inEvalSet: 0, nearDuplicates: excluded.length },
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
