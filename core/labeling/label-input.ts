// What a reviewer submits, validated before it reaches the workflow.
import { z } from 'zod';
import { DIMENSIONS, type Dimension } from '../stats/agreement';
import { findStringProblems } from '../traces/trace-schema';

export const DEFAULT_FAILURE_TAXONOMY = ['hallucination', 'ignored_context', 'out_of_scope', 'wrong_tool_call', 'refusal', 'formatting', 'verbosity'] as const;

const score = (name: Dimension) =>
  z.number({ error: `${name} must be a number from 1 to 5` }).int(`${name} must be a whole number from 1 to 5`).min(1, `${name} must be at least 1`).max(5, `${name} must be at most 5`);

const LabelInputSchema = z.strictObject({
  correctness: score('correctness'),
  relevance: score('relevance'),
  clarity: score('clarity'),
  calibration: score('calibration'),
  length: score('length'),
  verdict: z.enum(['pass', 'fail'], { error: 'verdict must be "pass" or "fail"' }),
  failureCategory: z.string().trim().min(1).max(100).nullish(),
  expected: z.string().max(20_000, 'expected behaviour is limited to 20,000 characters').nullish(),
  notes: z.string().max(20_000, 'notes are limited to 20,000 characters').nullish(),
});

export interface LabelInput {
  scores: Record<Dimension, number>;
  verdict: 'pass' | 'fail';
  failureCategory: string | null;
  expected: string | null;
  notes: string | null;
}

export type LabelInputResult = { ok: true; label: LabelInput } | { ok: false; reason: string };

/** Validates a label against the 1-5 scales and the project's failure taxonomy. */
export function parseLabelInput(input: unknown, taxonomy: readonly string[]): LabelInputResult {
  // A NUL would fail the label's insert on every retry of the queue's activity.
  const unstorable = findStringProblems(input);
  if (unstorable.length) return { ok: false, reason: unstorable.map((issue) => issue.message).join('; ') };
  const parsed = LabelInputSchema.safeParse(input);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.path.length && !issue.message.startsWith(String(issue.path[0])) ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
      .join('; ');
    return { ok: false, reason };
  }
  const value = parsed.data;
  const category = value.failureCategory ?? null;
  if (value.verdict === 'fail' && !category) return { ok: false, reason: `a failing label needs a failureCategory (one of: ${taxonomy.join(', ')})` };
  if (category && !taxonomy.includes(category)) return { ok: false, reason: `failureCategory "${category}" is not in the project's taxonomy (${taxonomy.join(', ')})` };
  return {
    ok: true,
    label: {
      scores: Object.fromEntries(DIMENSIONS.map((d) => [d, value[d]])) as Record<Dimension, number>,
      verdict: value.verdict,
      failureCategory: category,
      expected: value.expected ?? null,
      notes: value.notes ?? null,
    },
  };
}
