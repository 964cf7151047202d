// Per-project judge settings: when agreement is too low, and which model judges by default.
import { z } from 'zod';

export const JUDGE_PROVIDERS = ['openai', 'anthropic', 'openai-compatible', 'simulated'] as const;
export type JudgeProvider = (typeof JUDGE_PROVIDERS)[number];

export const PRIMARY_METRICS = ['verdict_agreement', 'verdict_kappa', 'tpr', 'correctness_quadratic_kappa'] as const;
export type PrimaryMetric = (typeof PRIMARY_METRICS)[number];

export const JudgeSettingsSchema = z.strictObject({
  /** Recalibrate when the primary metric of the active judge falls under this. */
  agreementThreshold: z.number().min(0).max(1).default(0.8),
  primaryMetric: z.enum(PRIMARY_METRICS).default('verdict_agreement'),
  /** Share of labelled cases used to propose candidates; the rest validates them. */
  tuningShare: z.number().min(0.1).max(0.9).default(0.5),
  /** Few-shot examples a candidate may take from the tuning part. */
  maxFewShot: z.number().int().min(0).max(20).default(6),
  /** Fewer releases than this: correlation across releases is reported as "too few to tell". */
  correlationMinReleases: z.number().int().min(2).max(100).default(5),
  /** A fall of the headline correlation by more than this against the previous run is drift. */
  driftMargin: z.number().min(0).max(2).default(0.2),
});

export type JudgeSettings = z.infer<typeof JudgeSettingsSchema>;

export function parseJudgeSettings(input: unknown): { ok: true; settings: JudgeSettings } | { ok: false; reason: string } {
  const parsed = JudgeSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return { ok: true, settings: parsed.data };
  return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; ') };
}

export interface JudgeTarget {
  provider: JudgeProvider;
  model: string;
  baseUrl: string | null;
}

/**
 * The default judge for a new project: a real provider when its key is configured, the
 * local simulation only when none is (it is never chosen over a real key).
 */
export function defaultJudgeTarget(env: { OPENAI_API_KEY?: string; ANTHROPIC_API_KEY?: string; OPENAI_BASE_URL?: string; FLYWHEEL_JUDGE_MODEL?: string }): JudgeTarget {
  if (env.OPENAI_API_KEY) return { provider: env.OPENAI_BASE_URL ? 'openai-compatible' : 'openai', model: env.FLYWHEEL_JUDGE_MODEL ?? 'gpt-4.1-mini', baseUrl: env.OPENAI_BASE_URL ?? null };
  if (env.ANTHROPIC_API_KEY) return { provider: 'anthropic', model: env.FLYWHEEL_JUDGE_MODEL ?? 'claude-sonnet-4-6', baseUrl: null };
  return { provider: 'simulated', model: 'sim-judge-1', baseUrl: null };
}
