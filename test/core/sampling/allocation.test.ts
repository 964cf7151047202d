import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  UNTAGGED_SLICE,
  activeStrata,
  allocateSample,
  type CellAvailability,
  type SampleAllocation,
  type SampleAvailability,
} from '../../../core/sampling/allocation';
import {
  DEFAULT_SAMPLING_POLICY,
  STRATUM_KINDS,
  parseSamplingPolicy,
  type SamplingPolicy,
  type StratumKind,
} from '../../../core/sampling/policy';

const policyWith = (overrides: Record<string, unknown> = {}): SamplingPolicy => {
  const r = parseSamplingPolicy(overrides);
  if (!r.ok) throw new Error(r.reason);
  return r.policy;
};

/** A slice whose every stratum has `perStratum` eligible traces and `rest` traces outside them. */
function slice(name: string, perStratum: number | Partial<Record<StratumKind, number>>, rest: number) {
  const avail = STRATUM_KINDS.map((k) => (typeof perStratum === 'number' ? perStratum : (perStratum[k] ?? 0)));
  const cells: CellAvailability[] = STRATUM_KINDS.map((stratum, i) => ({ stratum, slice: name, available: avail[i]! }));
  return { slice: { slice: name, total: rest + avail.reduce((a, b) => a + b, 0) }, cells };
}

function availabilityOf(...parts: ReturnType<typeof slice>[]): SampleAvailability {
  return { slices: parts.map((p) => p.slice), cells: parts.flatMap((p) => p.cells) };
}

// Only the slice mix matters in some tests: no strata, everything is baseline.
const NO_STRATA = Object.fromEntries(STRATUM_KINDS.map((k) => [k, 0]));

const countOf = (a: SampleAllocation, stratum: string, sliceName: string): number =>
  a.cells.find((c) => c.stratum === stratum && c.slice === sliceName)?.count ?? 0;
const sum = (xs: readonly number[]): number => xs.reduce((x, y) => x + y, 0);
const sliceSum = (a: SampleAllocation, sliceName: string): number =>
  sum(a.cells.filter((c) => c.slice === sliceName).map((c) => c.count));
const baselineOf = (a: SampleAllocation): number => sum(a.cells.filter((c) => c.stratum === 'baseline').map((c) => c.count));
const targets = (a: SampleAllocation): Record<string, number> =>
  Object.fromEntries(a.sliceTargets.map((t) => [t.slice, t.target]));

describe('allocateSample: slice targets', () => {
  it('a 60-20-10-10 mix gives 120/40/20/20 for N=200, with default quotas inside each slice', () => {
    const a = allocateSample(
      DEFAULT_SAMPLING_POLICY,
      availabilityOf(slice('billing', 500, 3000), slice('account', 200, 800), slice('tech', 100, 400), slice('other', 100, 400)),
    );
    expect(a.total).toBe(200);
    expect(a.sliceTargets).toEqual([
      { slice: 'billing', target: 120, share: 0.6 },
      { slice: 'account', target: 40, share: 0.2 },
      { slice: 'other', target: 20, share: 0.1 },
      { slice: 'tech', target: 20, share: 0.1 },
    ]);
    expect(a.shortfalls).toEqual([]);
    // billing: 25/15/15/5/5/10 % of 120, baseline 25 %
    expect(a.cells.filter((c) => c.slice === 'billing')).toEqual([
      { stratum: 'negative_feedback', slice: 'billing', count: 30 },
      { stratum: 'rephrase', slice: 'billing', count: 18 },
      { stratum: 'abandoned', slice: 'billing', count: 18 },
      { stratum: 'long_session', slice: 'billing', count: 6 },
      { stratum: 'high_latency', slice: 'billing', count: 6 },
      { stratum: 'guardrail_flagged', slice: 'billing', count: 12 },
      { stratum: 'baseline', slice: 'billing', count: 30 },
    ]);
    for (const s of ['billing', 'account', 'other', 'tech']) expect(sliceSum(a, s)).toBe(targets(a)[s]);
    expect(baselineOf(a)).toBe(50);
  });

  it('a 0.2% slice gets the floor, taken from the largest slice', () => {
    // 6000/2000/1000/980/20: proportional 120/40/20/19.6/0.4 → 120/40/20/20/0
    const a = allocateSample(
      DEFAULT_SAMPLING_POLICY,
      availabilityOf(slice('a', 10, 5940), slice('b', 10, 1940), slice('c', 10, 940), slice('d', 10, 920), slice('tiny', 0, 20)),
    );
    expect(targets(a)).toEqual({ a: 118, b: 40, c: 20, d: 20, tiny: 2 });
    expect(a.sliceTargets.find((t) => t.slice === 'tiny')!.share).toBeCloseTo(0.002, 12);
    expect(a.sliceTargets.map((t) => t.slice)).toEqual(['a', 'b', 'c', 'd', 'tiny']);
    expect(sliceSum(a, 'tiny')).toBe(2);
  });

  it('the floor is taken from the largest targets, ties by name', () => {
    const a = allocateSample(
      policyWith({ sampleSize: 20, sliceFloor: 3, strata: NO_STRATA }),
      availabilityOf(slice('x', 0, 450), slice('w', 0, 450), slice('y', 0, 98), slice('z', 0, 2)),
    );
    // proportional 9/9/1.96/0.04 → 9/9/2/0; floors y +1, z +2 (z has only 2): 3 taken from w, x, w
    expect(targets(a)).toEqual({ w: 7, x: 8, y: 3, z: 2 });
    expect(a.shortfalls).toEqual(['slice floor 3: intent=z (2 eligible) has fewer eligible traces; all are sampled']);
  });

  it('when the floors do not fit, slices get one each by size, then a second', () => {
    const a = allocateSample(
      policyWith({ sampleSize: 5, strata: NO_STRATA }),
      availabilityOf(slice('a', 0, 100), slice('b', 0, 50), slice('c', 0, 30), slice('d', 0, 20)),
    );
    expect(targets(a)).toEqual({ a: 2, b: 1, c: 1, d: 1 });
    const b = allocateSample(
      policyWith({ sampleSize: 3, strata: NO_STRATA }),
      availabilityOf(slice('a', 0, 100), slice('b', 0, 50), slice('c', 0, 30), slice('d', 0, 20)),
    );
    expect(targets(b)).toEqual({ a: 1, b: 1, c: 1, d: 0 });
    expect(b.shortfalls).toEqual([
      'slice floor 2: the floors of 4 slices add up to more than the sample of 3; below the floor: ' +
        'intent=a (1), intent=b (1), intent=c (1), intent=d (0)',
    ]);
  });

  it('no floor and no slice labels without a slice dimension', () => {
    const a = allocateSample(
      policyWith({ sliceDimension: null }),
      availabilityOf(slice(UNTAGGED_SLICE, { rephrase: 5 }, 1000)),
    );
    expect(a.sliceTargets).toEqual([{ slice: UNTAGGED_SLICE, target: 200, share: 1 }]);
    expect(a.shortfalls).toEqual([
      'negative_feedback: quota 50, only 0 eligible; 50 moved to baseline',
      'rephrase: quota 30, only 5 eligible; 25 moved to baseline',
      'abandoned: quota 30, only 0 eligible; 30 moved to baseline',
      'long_session: quota 10, only 0 eligible; 10 moved to baseline',
      'high_latency: quota 10, only 0 eligible; 10 moved to baseline',
      'guardrail_flagged: quota 20, only 0 eligible; 20 moved to baseline',
    ]);
    expect(baselineOf(a)).toBe(195);
  });
});

describe('allocateSample: quotas, shortfalls and baseline', () => {
  it('caps a stratum at its availability and moves the shortfall to the baseline', () => {
    const a = allocateSample(
      policyWith({ sliceDimension: null }),
      availabilityOf(
        slice(UNTAGGED_SLICE, { negative_feedback: 80, rephrase: 12, abandoned: 40, long_session: 40, high_latency: 40, guardrail_flagged: 40 }, 500),
      ),
    );
    expect(a.shortfalls).toEqual(['rephrase: quota 30, only 12 eligible; 18 moved to baseline']);
    expect(countOf(a, 'rephrase', UNTAGGED_SLICE)).toBe(12);
    expect(countOf(a, 'baseline', UNTAGGED_SLICE)).toBe(50 + 18);
    expect(a.total).toBe(200);
  });

  it('names the slices where a stratum falls short when others have traces to spare', () => {
    const a = allocateSample(
      DEFAULT_SAMPLING_POLICY,
      availabilityOf(slice('billing', { negative_feedback: 100, rephrase: 100 }, 500), slice('refunds', { rephrase: 3 }, 200)),
    );
    // billing 700 of 903 traces → target 155, refunds 45 (rephrase quota 23 + 7)
    expect(targets(a)).toEqual({ billing: 155, refunds: 45 });
    expect(a.shortfalls).toContain(
      'rephrase: quota 30, 26 taken (short in intent=refunds 3 eligible for quota 7); 4 moved to baseline',
    );
    // the refunds slice has no negative feedback at all, billing keeps its quota only
    expect(countOf(a, 'negative_feedback', 'refunds')).toBe(0);
  });

  it('baseline is at least 25% of the sample with the default policy', () => {
    const a = allocateSample(
      DEFAULT_SAMPLING_POLICY,
      availabilityOf(slice('a', 1000, 100), slice('b', 1000, 100), slice('c', 1000, 100), slice('d', 3, 4), slice('e', 1, 1)),
    );
    expect(a.total).toBe(200);
    expect(baselineOf(a)).toBeGreaterThanOrEqual(50);
  });

  it('a slice without traffic outside the strata keeps its target from its own strata when the baseline minimum is met', () => {
    // `tech` (10% of traffic) is all failures. Slice a has no rephrase etc., so its
    // baseline is large and the 25% minimum holds without tech's share.
    const a = allocateSample(
      DEFAULT_SAMPLING_POLICY,
      availabilityOf(
        slice('a', { negative_feedback: 1000 }, 5000),
        slice('b', 0, 3000),
        slice('tech', { negative_feedback: 500, rephrase: 500 }, 0),
      ),
    );
    expect(targets(a)).toEqual({ a: 120, b: 60, tech: 20 });
    expect(sliceSum(a, 'tech')).toBe(20);
    expect(countOf(a, 'baseline', 'tech')).toBe(0);
    expect(a.shortfalls).toContain(
      'intent=tech: only 0 traces outside the strata for a baseline of 12; 12 more taken from its strata beyond their quotas',
    );
    expect(a.shortfalls.some((s) => s.startsWith('slice mix'))).toBe(false);
    expect(baselineOf(a)).toBeGreaterThanOrEqual(50);
  });

  it('splits the overflow between its own strata and other baselines when the minimum needs part of it', () => {
    const a = allocateSample(
      DEFAULT_SAMPLING_POLICY,
      availabilityOf(slice('a', 100, 5400), slice('b', 50, 2700), slice('tech', { negative_feedback: 500, rephrase: 500 }, 0)),
    );
    // a and b give 30 + 15 baseline; 5 more are needed for 50 (25%), taken from tech's 12
    expect(baselineOf(a)).toBe(50);
    expect(sliceSum(a, 'tech')).toBe(15);
    expect(a.shortfalls).toContain(
      'intent=tech: only 0 traces outside the strata for a baseline of 12; ' +
        '7 more taken from its strata beyond their quotas, 5 moved to other slices',
    );
    expect(a.shortfalls).toContain("baseline: 5 placed in other slices' baselines (intent=a +3, intent=b +2)");
  });

  it('moves baseline to other slices when the baseline minimum needs it', () => {
    // billing (60%) has no traffic outside the strata; its 30 baseline traces are needed
    // for the 25% minimum, so they come from the other slices' baselines.
    const a = allocateSample(
      DEFAULT_SAMPLING_POLICY,
      availabilityOf(slice('billing', 1000, 0), slice('account', 100, 1400), slice('tech', 100, 1400)),
    );
    expect(targets(a)).toEqual({ billing: 120, account: 40, tech: 40 });
    expect(baselineOf(a)).toBe(50);
    expect(sliceSum(a, 'billing')).toBe(90);
    expect(sliceSum(a, 'account')).toBe(55);
    expect(sliceSum(a, 'tech')).toBe(55);
    expect(a.shortfalls).toEqual([
      'intent=billing: only 0 traces outside the strata for a baseline of 30; 30 moved to other slices',
      "baseline: 30 placed in other slices' baselines (intent=account +15, intent=tech +15)",
      'slice mix: intent=account target 40, sampled 55, intent=billing target 120, sampled 90, intent=tech target 40, sampled 55',
    ]);
  });

  it('a small slice without baseline traffic tops up from its own strata', () => {
    const a = allocateSample(
      policyWith({ sampleSize: 100 }),
      availabilityOf(slice('a', 0, 100), slice('b', { rephrase: 10 }, 0)),
    );
    // b is 10/110 of traffic → target 9, all from its rephrase traces (a covers the baseline)
    expect(targets(a)).toEqual({ a: 91, b: 9 });
    expect(a.total).toBe(100);
    expect(countOf(a, 'rephrase', 'b')).toBe(9);
  });

  it('takes strata beyond their quotas only when every trace outside them is sampled', () => {
    const a = allocateSample(policyWith({ sliceDimension: null }), availabilityOf(slice('all', 100, 20)));
    expect(a.total).toBe(200);
    expect(countOf(a, 'baseline', 'all')).toBe(20);
    expect(a.shortfalls).toEqual([
      'slice all: only 20 traces outside the strata for a baseline of 50; 30 more taken from its strata beyond their quotas',
      'baseline: 20 of 200 (10%), below baselineShare 25%: not enough traces outside the strata',
    ]);
  });

  it('samples everything when fewer traces are eligible than the sample size', () => {
    const a = allocateSample(DEFAULT_SAMPLING_POLICY, availabilityOf(slice('a', 3, 20), slice('b', 1, 4)));
    expect(a.total).toBe(48);
    expect(sum(a.cells.map((c) => c.count))).toBe(48);
    expect(a.shortfalls[0]).toBe('sample: only 48 eligible traces, fewer than the sample size 200; all are sampled');
    for (const c of a.cells) {
      const cell = availabilityOf(slice('a', 3, 20), slice('b', 1, 4)).cells.find((x) => x.stratum === c.stratum && x.slice === c.slice);
      expect(c.count).toBe(cell ? cell.available : c.slice === 'a' ? 20 : 4);
    }
  });

  it('nothing eligible: an empty sample', () => {
    expect(allocateSample(DEFAULT_SAMPLING_POLICY, { slices: [], cells: [] })).toEqual({
      total: 0,
      cells: [],
      sliceTargets: [],
      shortfalls: ['sample: no eligible traces in the period; nothing to sample'],
    });
  });

  it('strata with a zero share get nothing and are not asked for', () => {
    const policy = policyWith({ strata: { long_session: 0, high_latency: 0 } });
    expect(activeStrata(policy)).toEqual(['negative_feedback', 'rephrase', 'abandoned', 'guardrail_flagged']);
    const a = allocateSample(policy, availabilityOf(slice('a', 100, 1000)));
    expect(countOf(a, 'long_session', 'a')).toBe(0);
    expect(countOf(a, 'baseline', 'a')).toBe(70);
  });
});

describe('allocateSample: determinism and input checks', () => {
  const avail = availabilityOf(slice('a', 7, 300), slice('b', { rephrase: 2, abandoned: 50 }, 40), slice('c', 1, 1));

  it('same input, same output; input order does not matter', () => {
    const a = allocateSample(DEFAULT_SAMPLING_POLICY, avail);
    expect(allocateSample(DEFAULT_SAMPLING_POLICY, avail)).toEqual(a);
    const shuffled = { slices: [...avail.slices].reverse(), cells: [...avail.cells].reverse() };
    expect(allocateSample(DEFAULT_SAMPLING_POLICY, shuffled)).toEqual(a);
  });

  it('rejects inconsistent availability', () => {
    const p = DEFAULT_SAMPLING_POLICY;
    expect(() => allocateSample(p, { slices: [{ slice: 'a', total: -1 }], cells: [] })).toThrow(/non-negative integer/);
    expect(() => allocateSample(p, { slices: [{ slice: 'a', total: 1.5 }], cells: [] })).toThrow(RangeError);
    expect(() => allocateSample(p, { slices: [{ slice: 'a', total: 1 }, { slice: 'a', total: 2 }], cells: [] })).toThrow(/twice/);
    expect(() =>
      allocateSample(p, { slices: [{ slice: 'a', total: 5 }], cells: [{ stratum: 'rephrase', slice: 'b', available: 1 }] }),
    ).toThrow(/missing from slices/);
    expect(() =>
      allocateSample(p, {
        slices: [{ slice: 'a', total: 5 }],
        cells: [
          { stratum: 'rephrase', slice: 'a', available: 3 },
          { stratum: 'abandoned', slice: 'a', available: 3 },
        ],
      }),
    ).toThrow(/more than its total 5/);
    expect(() =>
      allocateSample(p, {
        slices: [{ slice: 'a', total: 5 }],
        cells: [
          { stratum: 'rephrase', slice: 'a', available: 1 },
          { stratum: 'rephrase', slice: 'a', available: 1 },
        ],
      }),
    ).toThrow(/twice/);
  });
});

// --- properties ---

/** Valid policies: shares in hundredths, scaled down so strata + baseline <= 1. */
const policyArb = fc
  .record({
    sampleSize: fc.integer({ min: 1, max: 400 }),
    baseline: fc.integer({ min: 0, max: 100 }),
    weights: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 6, maxLength: 6 }),
    sliceDimension: fc.constantFrom<string | null>('intent', null),
    sliceFloor: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ sampleSize, baseline, weights, sliceDimension, sliceFloor }) => {
    const w = sum(weights);
    const room = 100 - baseline;
    const scaled = w > room ? weights.map((x) => Math.floor((x * room) / w)) : weights;
    return policyWith({
      sampleSize,
      baselineShare: baseline / 100,
      strata: Object.fromEntries(STRATUM_KINDS.map((k, i) => [k, scaled[i]! / 100])),
      sliceDimension,
      sliceFloor,
    });
  });

const count = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 300 }));
const availabilityArb = fc
  .uniqueArray(
    fc.record({
      name: fc.constantFrom('billing', 'account', 'tech', 'other', UNTAGGED_SLICE, 'a', 'b', 'z'),
      strata: fc.array(count, { minLength: 6, maxLength: 6 }),
      rest: count,
    }),
    { selector: (s) => s.name, maxLength: 8 },
  )
  .map((parts) =>
    availabilityOf(...parts.map((p) => slice(p.name, Object.fromEntries(STRATUM_KINDS.map((k, i) => [k, p.strata[i]!])), p.rest))),
  );

function availableFor(avail: SampleAvailability, stratum: string, sliceName: string): number {
  if (stratum !== 'baseline') return avail.cells.find((c) => c.stratum === stratum && c.slice === sliceName)?.available ?? 0;
  const total = avail.slices.find((s) => s.slice === sliceName)!.total;
  return total - sum(avail.cells.filter((c) => c.slice === sliceName).map((c) => c.available));
}

describe('allocateSample: properties', () => {
  it('counts add up to min(N, eligible), each within its availability, none negative', () => {
    fc.assert(
      fc.property(policyArb, availabilityArb, (policy, avail) => {
        const a = allocateSample(policy, avail);
        const eligible = sum(avail.slices.map((s) => s.total));
        expect(a.total).toBe(Math.min(policy.sampleSize, eligible));
        expect(sum(a.cells.map((c) => c.count))).toBe(a.total);
        const seen = new Set<string>();
        for (const c of a.cells) {
          expect(Number.isInteger(c.count)).toBe(true);
          expect(c.count).toBeGreaterThan(0);
          expect(c.count).toBeLessThanOrEqual(availableFor(avail, c.stratum, c.slice));
          const key = `${c.stratum}/${c.slice}`;
          expect(seen.has(key)).toBe(false);
          seen.add(key);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('baseline >= baselineShare × total whenever there are enough traces outside the strata', () => {
    fc.assert(
      fc.property(policyArb, availabilityArb, (policy, avail) => {
        const a = allocateSample(policy, avail);
        const outside = sum(avail.slices.map((s) => availableFor(avail, 'baseline', s.slice)));
        const minimum = Math.ceil(policy.baselineShare * a.total - 1e-9);
        expect(baselineOf(a)).toBeGreaterThanOrEqual(Math.min(minimum, outside));
      }),
      { numRuns: 500 },
    );
  });

  it('slice targets add up to the total, never exceed a slice, and honour the floor when it fits', () => {
    fc.assert(
      fc.property(policyArb, availabilityArb, (policy, avail) => {
        const a = allocateSample(policy, avail);
        expect(sum(a.sliceTargets.map((t) => t.target))).toBe(a.total);
        const floor = policy.sliceDimension === null ? 0 : policy.sliceFloor;
        const floors = avail.slices.map((s) => Math.min(floor, s.total));
        for (const t of a.sliceTargets) {
          const total = avail.slices.find((s) => s.slice === t.slice)!.total;
          expect(t.target).toBeLessThanOrEqual(total);
          if (sum(floors) <= a.total) expect(t.target).toBeGreaterThanOrEqual(Math.min(floor, total));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('with ample traces everywhere, each slice gets exactly its target and nothing falls short', () => {
    const ampleArb = fc
      .uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd', 'e'), scale: fc.integer({ min: 1, max: 50 }) }), {
        selector: (s) => s.name,
        minLength: 1,
      })
      .map((parts) => availabilityOf(...parts.map((p) => slice(p.name, 400 * p.scale, 400 * p.scale))));
    fc.assert(
      fc.property(policyArb, ampleArb, (policy, avail) => {
        const a = allocateSample(policy, avail);
        // the floor may not fit a tiny sample; nothing else may fall short
        expect(a.shortfalls.filter((s) => !s.startsWith('slice floor'))).toEqual([]);
        for (const t of a.sliceTargets) expect(sliceSum(a, t.slice)).toBe(t.target);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and independent of input order', () => {
    fc.assert(
      fc.property(policyArb, availabilityArb, (policy, avail) => {
        const a = allocateSample(policy, avail);
        expect(allocateSample(policy, avail)).toEqual(a);
        expect(allocateSample(policy, { slices: [...avail.slices].reverse(), cells: [...avail.cells].reverse() })).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });
});
