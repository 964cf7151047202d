import { describe, it, expect } from 'vitest';
import {
  DEFAULT_SAMPLING_POLICY,
  STRATUM_KINDS,
  parseSamplingPolicy,
  strataShareTotal,
} from '../../../core/sampling/policy';

const reasonOf = (input: unknown): string => {
  const r = parseSamplingPolicy(input);
  if (r.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return r.reason;
};

describe('parseSamplingPolicy: defaults', () => {
  it('an empty object (or nothing) gives the default policy', () => {
    for (const input of [undefined, {}]) {
      const r = parseSamplingPolicy(input);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.policy).toEqual({
        sampleSize: 200,
        baselineShare: 0.25,
        strata: {
          negative_feedback: 0.25,
          rephrase: 0.15,
          abandoned: 0.15,
          long_session: 0.05,
          high_latency: 0.05,
          guardrail_flagged: 0.1,
        },
        sliceDimension: 'intent',
        sliceFloor: 2,
      });
      expect(r.policy).toEqual(DEFAULT_SAMPLING_POLICY);
      expect('seed' in r.policy).toBe(false);
    }
  });

  it('default strata leave exactly the baseline share', () => {
    expect(strataShareTotal(DEFAULT_SAMPLING_POLICY.strata) + DEFAULT_SAMPLING_POLICY.baselineShare).toBeCloseTo(1, 12);
  });

  it('omitted strata keep their defaults; given fields override', () => {
    const r = parseSamplingPolicy({
      sampleSize: 500,
      strata: { negative_feedback: 0.2, rephrase: 0.1 },
      sliceDimension: null,
      sliceFloor: 0,
      seed: 'run-42',
    });
    expect(r).toEqual({
      ok: true,
      policy: {
        sampleSize: 500,
        baselineShare: 0.25,
        strata: { ...DEFAULT_SAMPLING_POLICY.strata, negative_feedback: 0.2, rephrase: 0.1 },
        sliceDimension: null,
        sliceFloor: 0,
        seed: 'run-42',
      },
    });
  });

  it('a policy whose shares add up to exactly 1 is accepted despite float rounding', () => {
    const r = parseSamplingPolicy({
      baselineShare: 0.3,
      strata: { negative_feedback: 0.1, rephrase: 0.1, abandoned: 0.1, long_session: 0.1, high_latency: 0.1, guardrail_flagged: 0.2 },
    });
    expect(r.ok).toBe(true);
  });

  it('does not share the default strata object with the returned policy', () => {
    const r = parseSamplingPolicy({});
    if (!r.ok) throw new Error('unexpected');
    r.policy.strata.rephrase = 0;
    expect(DEFAULT_SAMPLING_POLICY.strata.rephrase).toBe(0.15);
  });
});

describe('parseSamplingPolicy: errors', () => {
  it('rejects sample sizes outside 1..10000 and non-integers', () => {
    for (const sampleSize of [0, -1, 10_001, 1.5, '200', null]) {
      expect(reasonOf({ sampleSize })).toBe('sampleSize must be an integer from 1 to 10000');
    }
    expect(parseSamplingPolicy({ sampleSize: 1 }).ok).toBe(true);
    expect(parseSamplingPolicy({ sampleSize: 10_000 }).ok).toBe(true);
  });

  it('rejects shares outside [0, 1]', () => {
    expect(reasonOf({ baselineShare: 1.2 })).toBe('baselineShare must be between 0 and 1');
    expect(reasonOf({ baselineShare: -0.1 })).toBe('baselineShare must be between 0 and 1');
    expect(reasonOf({ strata: { rephrase: -0.05 } })).toBe('strata.rephrase must be between 0 and 1');
    expect(reasonOf({ strata: { abandoned: 'a lot' } })).toBe('strata.abandoned must be a number between 0 and 1');
    expect(reasonOf({ baselineShare: Number.NaN })).toMatch(/baselineShare must be/);
  });

  it('rejects strata + baseline above 1, counting omitted strata at their defaults', () => {
    expect(reasonOf({ baselineShare: 0.5 })).toBe(
      'strata shares (0.75, omitted strata count with their defaults) + baselineShare (0.5) = 1.25, must be at most 1',
    );
    expect(reasonOf({ strata: { negative_feedback: 0.35 } })).toMatch(/strata shares \(0\.85.*= 1\.1, must be at most 1/);
  });

  it('rejects unknown stratum names, naming the known ones', () => {
    expect(reasonOf({ strata: { thumbs_down: 0.1 } })).toBe(
      `unknown stratum \`thumbs_down\`; known strata: ${STRATUM_KINDS.join(', ')}`,
    );
  });

  it('rejects unknown top-level fields and collects every problem', () => {
    const r = parseSamplingPolicy({ sampleSize: 0, sliceFloor: -1, samplesize: 100 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      'sampleSize must be an integer from 1 to 10000',
      'sliceFloor must be a non-negative integer',
      'unknown policy field `samplesize`',
    ]);
    expect(r.reason).toBe(r.issues.join('; '));
  });

  it('rejects a blank slice dimension, an empty seed and non-objects', () => {
    expect(reasonOf({ sliceDimension: '  ' })).toBe('sliceDimension must be a non-empty tag name or null');
    expect(reasonOf({ seed: '' })).toBe('seed must be a non-empty string');
    expect(reasonOf({ strata: [] })).toBe('strata must be an object of stratum shares');
    for (const input of [null, 'policy', 42, []]) expect(reasonOf(input)).toBe('a sampling policy must be an object');
  });
});
