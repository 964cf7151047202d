// Per-project labeling settings, with the defaults practice suggests.
import { z } from 'zod';

export const LabelingSettingsSchema = z.strictObject({
  /** Share of sampled items labelled by two different reviewers, for inter-annotator agreement. */
  doubleLabelShare: z.number().min(0).max(1).default(0.15),
  /** ...but at least this many items when the sample has them. */
  minDoubleLabelled: z.number().int().min(0).max(10_000).default(30),
  /** How long the queue stays open. */
  deadlineHours: z.number().positive().max(24 * 90).default(24 * 7),
});

export type LabelingSettings = z.infer<typeof LabelingSettingsSchema>;

export function parseLabelingSettings(input: unknown): { ok: true; settings: LabelingSettings } | { ok: false; reason: string } {
  const parsed = LabelingSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return { ok: true, settings: parsed.data };
  return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; ') };
}

/** How many of `sampleCount` items get a second reviewer. */
export function doubleLabelCount(sampleCount: number, settings: Pick<LabelingSettings, 'doubleLabelShare' | 'minDoubleLabelled'>): number {
  const byShare = Math.ceil(sampleCount * settings.doubleLabelShare);
  return Math.min(sampleCount, Math.max(byShare, settings.minDoubleLabelled));
}
