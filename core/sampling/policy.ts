// The monthly sampling policy: how many production traces go to human labeling and how
// they are split between known failure modes (strata), a random baseline and slices.
// Pure validation only; the allocation that applies it lives in ./allocation.
import { z } from 'zod';

/**
 * Strata in priority order. A trace that qualifies for several strata is counted in the
 * first one listed here (explicit feedback is the strongest evidence, so it comes first),
 * which keeps the (stratum, slice) cells disjoint.
 */
export const STRATUM_KINDS = [
  'negative_feedback',
  'rephrase',
  'abandoned',
  'long_session',
  'high_latency',
  'guardrail_flagged',
] as const;

export type StratumKind = (typeof STRATUM_KINDS)[number];

export const MIN_SAMPLE_SIZE = 1;
export const MAX_SAMPLE_SIZE = 10_000;

/** Shares of the sample per stratum; `baseline` gets `1 - sum` (at least `baselineShare`). */
export type StratumShares = Record<StratumKind, number>;

export interface SamplingPolicy {
  /** Traces to sample per period (N). */
  sampleSize: number;
  /** Minimum share of N drawn at random from traces outside every stratum. */
  baselineShare: number;
  /** Share of N per stratum. Omitted strata keep their default share; 0 disables one. */
  strata: StratumShares;
  /** Trace tag the sample is stratified by (e.g. `intent`); null = no slicing. */
  sliceDimension: string | null;
  /** Minimum traces per slice present in the period, when the sample size allows. */
  sliceFloor: number;
  /** Seed for the per-cell pick order; the caller falls back to e.g. the run id. */
  seed?: string;
}

export const DEFAULT_STRATUM_SHARES: Readonly<StratumShares> = Object.freeze({
  negative_feedback: 0.25,
  rephrase: 0.15,
  abandoned: 0.15,
  long_session: 0.05,
  high_latency: 0.05,
  guardrail_flagged: 0.1,
});

export const DEFAULT_SAMPLING_POLICY: Readonly<SamplingPolicy> = Object.freeze({
  sampleSize: 200,
  baselineShare: 0.25,
  strata: DEFAULT_STRATUM_SHARES,
  sliceDimension: 'intent',
  sliceFloor: 2,
});

// Float sums such as 0.25 + 0.15 + ... + 0.1 land a hair above 0.75; a policy that
// adds up to exactly 1 on paper must not be rejected for that.
const SHARE_SUM_TOLERANCE = 1e-9;

const shareSchema = (name: string, fallback: number) =>
  z
    .number({ error: `${name} must be a number between 0 and 1` })
    .min(0, { error: `${name} must be between 0 and 1` })
    .max(1, { error: `${name} must be between 0 and 1` })
    .default(fallback);

const strataShape = Object.fromEntries(
  STRATUM_KINDS.map((k) => [k, shareSchema(`strata.${k}`, DEFAULT_STRATUM_SHARES[k])]),
) as Record<StratumKind, ReturnType<typeof shareSchema>>;

const SAMPLE_SIZE_ERROR = `sampleSize must be an integer from ${MIN_SAMPLE_SIZE} to ${MAX_SAMPLE_SIZE}`;
const SLICE_DIMENSION_ERROR = 'sliceDimension must be a non-empty tag name or null';
const SLICE_FLOOR_ERROR = 'sliceFloor must be a non-negative integer';

const policyShape = z.strictObject({
  sampleSize: z
    .number({ error: SAMPLE_SIZE_ERROR })
    .int({ error: SAMPLE_SIZE_ERROR })
    .min(MIN_SAMPLE_SIZE, { error: SAMPLE_SIZE_ERROR })
    .max(MAX_SAMPLE_SIZE, { error: SAMPLE_SIZE_ERROR })
    .default(DEFAULT_SAMPLING_POLICY.sampleSize),
  baselineShare: shareSchema('baselineShare', DEFAULT_SAMPLING_POLICY.baselineShare),
  // prefault (not default): `{}` is parsed, so every omitted stratum gets its own default.
  strata: z.strictObject(strataShape, { error: 'strata must be an object of stratum shares' }).prefault({}),
  sliceDimension: z
    .string({ error: SLICE_DIMENSION_ERROR })
    .trim()
    .min(1, { error: SLICE_DIMENSION_ERROR })
    .nullable()
    .default(DEFAULT_SAMPLING_POLICY.sliceDimension),
  sliceFloor: z
    .number({ error: SLICE_FLOOR_ERROR })
    .int({ error: SLICE_FLOOR_ERROR })
    .min(0, { error: SLICE_FLOOR_ERROR })
    .max(MAX_SAMPLE_SIZE, { error: `sliceFloor must be at most ${MAX_SAMPLE_SIZE}` })
    .default(DEFAULT_SAMPLING_POLICY.sliceFloor),
  seed: z.string({ error: 'seed must be a non-empty string' }).min(1, { error: 'seed must be a non-empty string' }).optional(),
});

/** Sum of the stratum shares (the part of N reserved for known failure modes). */
export function strataShareTotal(strata: Readonly<StratumShares>): number {
  return STRATUM_KINDS.reduce((sum, k) => sum + strata[k], 0);
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** Zod schema of {@link SamplingPolicy}; input fields are optional and take the defaults. */
export const samplingPolicySchema = policyShape.superRefine((p, ctx) => {
  // zod still runs this after a range error; one message per mistake is enough.
  const inRange = (x: number) => x >= 0 && x <= 1;
  if (!inRange(p.baselineShare) || !STRATUM_KINDS.every((k) => inRange(p.strata[k]))) return;
  const strataTotal = strataShareTotal(p.strata);
  if (strataTotal + p.baselineShare > 1 + SHARE_SUM_TOLERANCE) {
    ctx.addIssue({
      code: 'custom',
      path: ['strata'],
      message:
        `strata shares (${round4(strataTotal)}, omitted strata count with their defaults) + baselineShare ` +
        `(${round4(p.baselineShare)}) = ${round4(strataTotal + p.baselineShare)}, must be at most 1`,
    });
  }
});

export type ParseSamplingPolicyResult =
  | { ok: true; policy: SamplingPolicy }
  | { ok: false; reason: string; issues: string[] };

interface ZodIssueLike {
  code: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  keys?: readonly string[];
}

function describeIssue(issue: ZodIssueLike): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    const names = issue.keys.map((k) => `\`${k}\``).join(', ');
    return path === 'strata'
      ? `unknown stratum ${names}; known strata: ${STRATUM_KINDS.join(', ')}`
      : `unknown policy field ${names}`;
  }
  return issue.message;
}

/**
 * Validates a sampling policy, filling in defaults (`undefined` → the default policy).
 * Never throws; `reason` joins every problem found.
 */
export function parseSamplingPolicy(input: unknown): ParseSamplingPolicyResult {
  const parsed = samplingPolicySchema.safeParse(input === undefined ? {} : input);
  if (!parsed.success) {
    const issues =
      input === null || typeof input !== 'object' || Array.isArray(input)
        ? ['a sampling policy must be an object']
        : parsed.error.issues.map((i) => describeIssue(i as ZodIssueLike));
    return { ok: false, reason: issues.join('; '), issues };
  }
  const d = parsed.data;
  const policy: SamplingPolicy = {
    sampleSize: d.sampleSize,
    baselineShare: d.baselineShare,
    strata: { ...d.strata },
    sliceDimension: d.sliceDimension,
    sliceFloor: d.sliceFloor,
  };
  if (d.seed !== undefined) policy.seed = d.seed;
  return { ok: true, policy };
}
