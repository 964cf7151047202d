// How many traces to sample per (stratum, slice) cell. The database counts eligible
// traces per cell and later picks that many per cell in a seeded order
// (./seeded-order); this module only decides the counts. Deterministic and exact: all
// rounding is integer arithmetic, every tie is broken by slice name or stratum priority.
import { STRATUM_KINDS, type SamplingPolicy, type StratumKind } from './policy';

/** Slice value used for traces without the slice tag. */
export const UNTAGGED_SLICE = '(none)';

export type SampleStratum = StratumKind | 'baseline';

export interface SliceAvailability {
  slice: string;
  /** All eligible traces of the period in this slice (strata and the rest). */
  total: number;
}

export interface CellAvailability {
  stratum: StratumKind;
  slice: string;
  /** Eligible traces of this slice whose first qualifying stratum is `stratum`. */
  available: number;
}

/**
 * Eligible traces of the period. Cells are disjoint (each trace counts in its first
 * stratum in {@link STRATUM_KINDS} order) and a slice's baseline pool is
 * `total - sum(its cells)`. Strata whose share is 0 should not be assigned traces (see
 * {@link activeStrata}); if they are, those cells are used only when nothing else is left.
 */
export interface SampleAvailability {
  slices: readonly SliceAvailability[];
  cells: readonly CellAvailability[];
}

export interface CellAllocation {
  stratum: SampleStratum;
  slice: string;
  count: number;
}

export interface SliceTarget {
  slice: string;
  /** Traces this slice should get: production mix, rounded, with the floor. */
  target: number;
  /** The slice's share of the period's eligible traces. */
  share: number;
}

export interface SampleAllocation {
  /** Traces sampled: min(sampleSize, all eligible). Always the sum of `cells`. */
  total: number;
  /** Cells with a positive count, by slice (largest share first), strata in priority order, baseline last. */
  cells: CellAllocation[];
  sliceTargets: SliceTarget[];
  /** Human-readable notes on every place where the policy could not be followed as written. */
  shortfalls: string[];
}

/** Strata with a positive share, in priority order: the ones the caller should assign traces to. */
export function activeStrata(policy: Pick<SamplingPolicy, 'strata'>): StratumKind[] {
  return STRATUM_KINDS.filter((k) => policy.strata[k] > 0);
}

// Shares are quantised to millionths so quota rounding is exact integer arithmetic
// (no 0.1 * 30 = 3.0000000000000004 surprises) and identical on every platform.
const SHARE_UNITS = 1_000_000;
// Slices listed in shortfall notes before "and N more".
const MAX_LISTED_SLICES = 5;

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Largest-remainder (Hamilton) apportionment of `units` by integer `weights`; ties on
 * the remainder go to the lower index, so callers order items by their tie rule first.
 */
function largestRemainder(units: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0 || units === 0) return weights.map(() => 0);
  const out = weights.map((w) => Math.floor((units * w) / sum));
  let left = units - out.reduce((a, b) => a + b, 0);
  const order = weights
    .map((w, i) => ({ i, rem: (units * w) % sum }))
    .sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    out[i]! += 1;
    left -= 1;
  }
  return out;
}

/**
 * Largest remainder with a cap per item: what a capped item cannot take is shared again
 * among the others. Items whose weights are all 0 share equally once the weighted ones
 * are full, so units are only left over when every cap is reached.
 */
function cappedLargestRemainder(units: number, weights: readonly number[], caps: readonly number[]): number[] {
  const given = caps.map(() => 0);
  let left = units;
  while (left > 0) {
    const open = caps.map((c, i) => c - given[i]! > 0);
    if (!open.includes(true)) break;
    const anyWeight = weights.some((w, i) => open[i] && w > 0);
    const w = weights.map((x, i) => (!open[i] ? 0 : anyWeight ? x : 1));
    const share = largestRemainder(left, w);
    for (let i = 0; i < caps.length; i++) {
      const take = Math.min(share[i]!, caps[i]! - given[i]!);
      given[i]! += take;
      left -= take;
    }
  }
  return given;
}

interface SliceState {
  name: string;
  total: number;
  /** Availability per stratum, indexed like STRATUM_KINDS. */
  avail: number[];
  baselineAvail: number;
  target: number;
  quota: number[];
  baselineQuota: number;
  counts: number[];
  baseline: number;
}

const sliceCount = (s: SliceState): number => s.baseline + s.counts.reduce((a, b) => a + b, 0);

function checkCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/** Validates availability and builds per-slice state, slices sorted by name. */
function buildSlices(availability: SampleAvailability): SliceState[] {
  const byNameMap = new Map<string, SliceState>();
  for (const { slice, total } of availability.slices) {
    checkCount(`total of slice "${slice}"`, total);
    if (byNameMap.has(slice)) throw new RangeError(`slice "${slice}" is listed twice`);
    byNameMap.set(slice, {
      name: slice,
      total,
      avail: STRATUM_KINDS.map(() => 0),
      baselineAvail: total,
      target: 0,
      quota: STRATUM_KINDS.map(() => 0),
      baselineQuota: 0,
      counts: STRATUM_KINDS.map(() => 0),
      baseline: 0,
    });
  }
  const seen = new Set<string>();
  for (const { stratum, slice, available } of availability.cells) {
    const k = STRATUM_KINDS.indexOf(stratum);
    if (k < 0) throw new RangeError(`unknown stratum "${String(stratum)}"`);
    checkCount(`available for ${stratum} in slice "${slice}"`, available);
    const s = byNameMap.get(slice);
    if (!s) throw new RangeError(`cell ${stratum}/"${slice}" names a slice missing from slices`);
    const key = `${stratum}\u0000${slice}`;
    if (seen.has(key)) throw new RangeError(`cell ${stratum}/"${slice}" is listed twice`);
    seen.add(key);
    s.avail[k] = available;
    s.baselineAvail -= available;
    // Cells are disjoint subsets of the slice, so they cannot add up to more than it.
    if (s.baselineAvail < 0) {
      throw new RangeError(`cells of slice "${slice}" add up to more than its total ${s.total}`);
    }
  }
  return [...byNameMap.values()].sort((a, b) => byName(a.name, b.name));
}

/**
 * Slice targets: the production mix by largest remainder, then each slice present gets
 * the floor, taken from the largest targets. When the floors alone exceed the sample,
 * slices get one trace each in order of size, then a second, ... up to the floor.
 */
function setSliceTargets(slices: SliceState[], total: number, floor: number): void {
  const floors = slices.map((s) => Math.min(floor, s.total));
  const floorSum = floors.reduce((a, b) => a + b, 0);
  if (floorSum >= total) {
    const bySize = slices.map((_, i) => i).sort((a, b) => slices[b]!.total - slices[a]!.total || a - b);
    let left = total;
    for (let level = 1; level <= floor && left > 0; level++) {
      for (const i of bySize) {
        if (left === 0) break;
        if (floors[i]! >= level) {
          slices[i]!.target += 1;
          left -= 1;
        }
      }
    }
    return;
  }
  const targets = largestRemainder(
    total,
    slices.map((s) => s.total),
  );
  let deficit = 0;
  for (let i = 0; i < slices.length; i++) {
    if (targets[i]! < floors[i]!) {
      deficit += floors[i]! - targets[i]!;
      targets[i] = floors[i]!;
    }
  }
  if (deficit > 0) {
    // Taking one trace at a time from the currently largest target (ties: name) comes
    // down to cutting every target above some level L to L: find the lowest L whose cut
    // removes at most the deficit, then take the rest from slices sitting exactly at L.
    const removedAt = (level: number): number =>
      targets.reduce((sum, t, i) => sum + Math.max(0, t - Math.max(level, floors[i]!)), 0);
    let lo = 0;
    let hi = Math.max(...targets);
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (removedAt(mid) <= deficit) hi = mid;
      else lo = mid + 1;
    }
    let extra = deficit - removedAt(lo);
    for (let i = 0; i < slices.length; i++) {
      const cut = Math.max(lo, floors[i]!);
      if (targets[i]! > cut) targets[i] = cut;
    }
    for (let i = 0; i < slices.length && extra > 0; i++) {
      if (targets[i] === lo && lo > floors[i]!) {
        targets[i] = lo - 1;
        extra -= 1;
      }
    }
  }
  slices.forEach((s, i) => (s.target = targets[i]!));
}

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

function listSlices(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED_SLICES).join(', ');
  return items.length > MAX_LISTED_SLICES ? `${shown} and ${items.length - MAX_LISTED_SLICES} more` : shown;
}

/**
 * Decides how many traces to sample per (stratum, slice) cell.
 *
 * - total = min(sampleSize, all eligible traces);
 * - slice targets follow the production mix (largest remainder), each slice present gets
 *   `sliceFloor` traces where possible, taken from the largest slices (no floor when
 *   `sliceDimension` is null);
 * - within a slice, baseline gets ceil(baseline share × target) and the strata share the
 *   rest by their quota shares (largest remainder, ties in priority order); a stratum
 *   short of eligible traces hands its shortfall to the same slice's baseline;
 * - what a slice's baseline cannot absorb goes to other slices' baselines as far as
 *   the baseline minimum still needs it (in proportion to production share), and is
 *   otherwise taken from the same slice's strata beyond their quotas, which keeps the
 *   slice mix (a slice target never exceeds the slice's traces, so this always fits).
 *
 * So baseline >= min(baselineShare × total, traces outside the strata), no cell exceeds
 * its availability, and the counts add up to the total. Throws RangeError on
 * inconsistent availability (negative counts, unknown slices, cells above their slice total).
 */
export function allocateSample(policy: SamplingPolicy, availability: SampleAvailability): SampleAllocation {
  const slices = buildSlices(availability);
  const shortfalls: string[] = [];
  const label = (s: SliceState): string =>
    policy.sliceDimension === null ? `slice ${s.name}` : `${policy.sliceDimension}=${s.name}`;

  const eligible = slices.reduce((sum, s) => sum + s.total, 0);
  const total = Math.min(policy.sampleSize, eligible);
  if (eligible === 0) {
    shortfalls.push(`sample: no eligible traces in the period; nothing to sample`);
  } else if (eligible < policy.sampleSize) {
    shortfalls.push(`sample: only ${eligible} eligible traces, fewer than the sample size ${policy.sampleSize}; all are sampled`);
  }

  // --- slice targets ---
  const floor = policy.sliceDimension === null ? 0 : policy.sliceFloor;
  setSliceTargets(slices, total, floor);
  if (floor > 0) {
    const below = slices.filter((s) => s.total > 0 && s.target < floor);
    const tooSmall = below.filter((s) => s.target === s.total);
    if (tooSmall.length > 0) {
      shortfalls.push(
        `slice floor ${floor}: ${listSlices(tooSmall.map((s) => `${label(s)} (${s.total} eligible)`))} ` +
          `${tooSmall.length === 1 ? 'has' : 'have'} fewer eligible traces; all are sampled`,
      );
    }
    const squeezed = below.filter((s) => s.target < s.total);
    if (squeezed.length > 0) {
      shortfalls.push(
        `slice floor ${floor}: the floors of ${slices.filter((s) => s.total > 0).length} slices add up to more than ` +
          `the sample of ${total}; below the floor: ${listSlices(squeezed.map((s) => `${label(s)} (${s.target})`))}`,
      );
    }
  }

  // --- quotas within each slice ---
  const strataW = STRATUM_KINDS.map((k) => Math.round(policy.strata[k] * SHARE_UNITS));
  const strataWSum = strataW.reduce((a, b) => a + b, 0);
  // Baseline gets what the strata leave, and never less than baselineShare (rounded up,
  // so quantising cannot push it under the policy).
  const baselineW = Math.max(SHARE_UNITS - strataWSum, Math.ceil(policy.baselineShare * SHARE_UNITS - 1e-6));
  for (const s of slices) {
    // Rounding the baseline up per slice keeps the sum of baselines >= baselineShare × total.
    s.baselineQuota = strataWSum === 0 ? s.target : Math.min(s.target, Math.ceil((s.target * baselineW) / SHARE_UNITS));
    s.quota = largestRemainder(s.target - s.baselineQuota, strataW);
    s.counts = s.quota.map((q, k) => Math.min(q, s.avail[k]!));
    const movedToBaseline = s.quota.reduce((sum, q, k) => sum + q - s.counts[k]!, 0);
    s.baseline = Math.min(s.baselineQuota + movedToBaseline, s.baselineAvail);
  }

  STRATUM_KINDS.forEach((kind, k) => {
    const quota = slices.reduce((sum, s) => sum + s.quota[k]!, 0);
    const taken = slices.reduce((sum, s) => sum + s.counts[k]!, 0);
    if (taken >= quota) return;
    const available = slices.reduce((sum, s) => sum + s.avail[k]!, 0);
    if (available === taken) {
      shortfalls.push(`${kind}: quota ${quota}, only ${taken} eligible; ${quota - taken} moved to baseline`);
    } else {
      const short = slices
        .filter((s) => s.counts[k]! < s.quota[k]!)
        .map((s) => `${label(s)} ${s.avail[k]} eligible for quota ${s.quota[k]}`);
      shortfalls.push(
        `${kind}: quota ${quota}, ${taken} taken (short in ${listSlices(short)}); ${quota - taken} moved to baseline`,
      );
    }
  });

  // --- what a slice's baseline cannot absorb ---
  // A slice target never exceeds the slice's traces, so a slice whose baseline pool is
  // used up can always reach its target from its own strata beyond their quotas, which
  // keeps the slice mix. The baseline minimum comes first, though: as much as it still
  // needs moves to other slices' baselines instead (in proportion to production share).
  const baselineMin = Math.ceil(policy.baselineShare * total - 1e-9);
  const leftover = slices.map((s) => s.target - sliceCount(s));
  const spareBaseline = slices.map((s) => s.baselineAvail - s.baseline);
  const baselineNeed = Math.max(0, baselineMin - slices.reduce((sum, s) => sum + s.baseline, 0));
  const toMove = Math.min(
    baselineNeed,
    spareBaseline.reduce((a, b) => a + b, 0),
    leftover.reduce((a, b) => a + b, 0),
  );
  // Slices short of baseline give up traces in proportion to how short they are.
  const moved = cappedLargestRemainder(toMove, leftover, leftover);

  slices.forEach((s, i) => {
    if (leftover[i] === 0) return;
    const own = leftover[i]! - moved[i]!;
    const demand = s.baselineQuota + s.quota.reduce((sum, q, k) => sum + q - s.counts[k]!, 0);
    const add = cappedLargestRemainder(
      own,
      strataW,
      s.avail.map((a, k) => a - s.counts[k]!),
    );
    add.forEach((x, k) => (s.counts[k]! += x));
    const parts = [
      ...(own > 0 ? [`${own} more taken from its strata beyond their quotas`] : []),
      ...(moved[i]! > 0 ? [`${moved[i]} moved to other slices`] : []),
    ];
    shortfalls.push(
      `${label(s)}: only ${s.baselineAvail} traces outside the strata for a baseline of ${demand}; ${parts.join(', ')}`,
    );
  });

  const extra = cappedLargestRemainder(
    toMove,
    slices.map((s) => s.total),
    spareBaseline,
  );
  slices.forEach((s, i) => (s.baseline += extra[i]!));
  if (toMove > 0) {
    const to = slices.flatMap((s, i) => (extra[i]! > 0 ? [`${label(s)} +${extra[i]}`] : []));
    shortfalls.push(`baseline: ${toMove} placed in other slices' baselines (${listSlices(to)})`);
  }
  // Unreachable: targets fit their slices and moved traces fit the spare baselines.
  const placed = slices.reduce((sum, s) => sum + sliceCount(s), 0);
  if (placed !== total) throw new Error(`allocation placed ${placed} traces instead of ${total}`);

  const baselineTotal = slices.reduce((sum, s) => sum + s.baseline, 0);
  if (baselineTotal < baselineMin) {
    shortfalls.push(
      `baseline: ${baselineTotal} of ${total} (${pct(total === 0 ? 0 : baselineTotal / total)}), below ` +
        `baselineShare ${pct(policy.baselineShare)}: not enough traces outside the strata`,
    );
  }
  const offTarget = slices.filter((s) => sliceCount(s) !== s.target);
  if (offTarget.length > 0) {
    shortfalls.push(
      `slice mix: ${listSlices(offTarget.map((s) => `${label(s)} target ${s.target}, sampled ${sliceCount(s)}`))}`,
    );
  }

  // Report order: largest share first (ties: name), strata in priority order, baseline last.
  const ordered = [...slices].sort((a, b) => b.total - a.total || byName(a.name, b.name));
  const cells: CellAllocation[] = [];
  for (const s of ordered) {
    STRATUM_KINDS.forEach((stratum, k) => {
      if (s.counts[k]! > 0) cells.push({ stratum, slice: s.name, count: s.counts[k]! });
    });
    if (s.baseline > 0) cells.push({ stratum: 'baseline', slice: s.name, count: s.baseline });
  }
  const sliceTargets: SliceTarget[] = ordered.map((s) => ({
    slice: s.name,
    target: s.target,
    share: eligible === 0 ? 0 : s.total / eligible,
  }));
  return { total, cells, sliceTargets, shortfalls };
}
