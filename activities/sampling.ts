// Sampling a run's period: counting and picking happen in SQL (nothing loads the
// period's traces into memory); how many to take per cell is decided by core/sampling.
import { createHash } from 'node:crypto';
import { activityLog } from './activity-log';
import { allocateSample, activeStrata, UNTAGGED_SLICE, type CellAllocation } from '../core/sampling/allocation';
import { keepDistinctCandidates } from '../core/sampling/near-duplicates';
import type { SamplingPolicy, StratumKind } from '../core/sampling/policy';
import { NEGATIVE_SIGNAL_KINDS, type SignalKind } from '../core/signals/derive-signals';
import type { SampleReport } from '../core/sampling/sample-report';
import type { FlywheelRunInput } from '../core/runs/run-stage';
import type { Db } from '../db/client';
import { faultPoint } from './fault-injection';

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

/**
 * The stratum of a negative_mask `column`: its first active stratum, else baseline. The
 * strata's masks are parameters from `firstParam` on.
 */
function stratumCase(strata: StratumKind[], firstParam: number, column: string): string {
  const branches = strata.map((s, i) => `WHEN ${column} & $${firstParam + i}::int <> 0 THEN '${s}'`);
  return `CASE WHEN ${column} = 0 THEN 'baseline' ${branches.join(' ')} ELSE 'baseline' END`;
}

// The activity's own limit (workflows/flywheel-run.ts); the reads below never outlive it.
const READ_TIMEOUT_MS = 2 * 60_000;

/**
 * A read with JIT compilation off (on these one-pass scans PostgreSQL spends 100–200 ms
 * compiling expressions per query, more than they then save), plus `settings`.
 */
function readWithoutJit<T>(db: Db, settings: string[], sql: string, ...params: unknown[]): Promise<T> {
  return db.$transaction(
    async (tx) => {
      for (const setting of ['jit = off', ...settings]) await tx.$executeRawUnsafe(`SET LOCAL ${setting}`);
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
      const strataMasks = strata.map((s) => negativeMaskOf(STRATUM_SIGNALS[s]));
      // Both passes scan trace_sampling_key (trace's sampling columns, kept by triggers, with
      // slices as trace_slice ids): integers per trace, the slice's JSON once per distinct
      // slice. Only the few hundred candidates they return are read from trace itself.
      // $4 is always referenced (also without a slice dimension) so that it has a type.
      const sliceOf = `CASE WHEN $4::text = '' THEN '${UNTAGGED_SLICE}' ELSE COALESCE(s.slice->>$4::text, '${UNTAGGED_SLICE}') END`;
      const inPeriod = 'k.project_id = $1::uuid AND k.timestamp >= $2::timestamptz AND k.timestamp < $3::timestamptz';
      const periodParams = [input.projectId, input.periodStart, input.periodEnd];
      const baseParams = [...periodParams, policy.sliceDimension ?? '', ...strataMasks];

      // Eligible traces per cell = the period's traces per cell minus its labelled ones:
      // the big count needs no join, the small one starts from the labels. Counted per
      // (slice id, mask) first, named per (slice value, stratum) on those few groups.
      const cellCounts = (filter: string) =>
        `SELECT ${sliceOf} AS slice_value, ${stratumCase(strata, 5, 'c.negative_mask')} AS stratum, sum(c.n)::bigint AS n,
                array_agg(c.slice_id ORDER BY c.slice_id, c.negative_mask) AS slice_ids,
                array_agg(c.negative_mask ORDER BY c.slice_id, c.negative_mask) AS masks
           FROM (SELECT k.slice_id, k.negative_mask, count(*) AS n FROM trace_sampling_key k WHERE ${inPeriod}${filter} GROUP BY 1, 2) c
           JOIN trace_slice s ON s.id = c.slice_id
          GROUP BY 1, 2`;
      type CellCount = { slice_value: string; stratum: string; n: bigint; slice_ids: number[]; masks: number[] };
      const [all, labelled] = await Promise.all([
        readWithoutJit<CellCount[]>(db, [], cellCounts(''), ...baseParams),
        db.$queryRawUnsafe<CellCount[]>(
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
      // Each cell is a set of (slice id, negative mask) pairs, as counted.
      const pairsOf = new Map(all.map((row) => [cellKey({ stratum: row.stratum, slice: row.slice_value }), { sliceIds: row.slice_ids, masks: row.masks }]));
      // The candidate query's cells, one row per pair, so that the traces join on their two
      // integer columns (no per-trace expression for the planner to misjudge).
      const cellRows = (wanted: { cell: CellAllocation; bits: number }[]) => {
        const rows = wanted.flatMap(({ cell, bits }) => {
          const pairs = pairsOf.get(cellKey(cell)) ?? { sliceIds: [], masks: [] };
          return pairs.sliceIds.map((sliceId, i) => ({ sliceId, mask: pairs.masks[i]!, cell, bits }));
        });
        return [
          rows.map((r) => r.sliceId),
          rows.map((r) => r.mask),
          rows.map((r) => r.cell.stratum),
          rows.map((r) => r.cell.slice),
          rows.map((r) => OVERFETCH(r.cell.count)),
          rows.map((r) => (2n ** BigInt(r.bits) - 1n).toString()),
        ];
      };

      // Up to `lim` candidates of each cell, in pick order (rn); `survivors` is how many of
      // the cell's traces passed its prefilter.
      const fetchCandidates = (wanted: { cell: CellAllocation; bits: number }[]) =>
        readWithoutJit<CandidateRow[]>(
          db,
          // The planner has no statistics for the unnest()ed cells and prices the hash join
          // of the period's traces with them far too high, so it sorts all of them for a merge
          // join instead (measured 2.4x slower on 950,000 traces).
          ['enable_mergejoin = off'],
          `WITH cells AS (
                  SELECT * FROM unnest($5::int[], $6::int[], $7::text[], $8::text[], $9::int[], $10::int8[])
                           AS c(slice_id, negative_mask, stratum, slice, lim, prefilter)),
                thinned AS (
                  SELECT k.trace_id AS id, c.stratum, c.slice AS slice_value, c.lim
                    FROM trace_sampling_key k
                    JOIN cells c ON c.slice_id = k.slice_id AND c.negative_mask = k.negative_mask
                   WHERE ${inPeriod}
                     AND (c.prefilter = 0 OR (uuid_hash_extended(k.trace_id, $11::int8) & c.prefilter) = 0)),
                ranked AS (
                  SELECT h.*,
                         row_number() OVER w AS rn,
                         count(*) OVER (PARTITION BY h.stratum, h.slice_value) AS survivors
                    FROM thinned h
                   WHERE NOT EXISTS (SELECT 1 FROM label l WHERE l.trace_id = h.id)
                  WINDOW w AS (PARTITION BY h.stratum, h.slice_value
                               ORDER BY md5($4::text || ':' || h.id::text) COLLATE "C", h.id::text COLLATE "C"))
           SELECT r.id, t.input, t.negative_signals, r.slice_value, r.stratum, r.rn, r.survivors
             FROM ranked r
             JOIN trace t ON t.id = r.id
            WHERE r.rn <= r.lim`,
          ...periodParams,
          seed,
          ...cellRows(wanted),
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
        const list = byCell.get(key);
        if (list) list.push(row);
        else byCell.set(key, [row]);
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
      faultPoint('sample-stored');
      activityLog().info('sampled', { flywheelRunId: input.runId, projectId: input.projectId, sampled: report.sampled, seed: report.seed });
      return report;
    },
  };
}
