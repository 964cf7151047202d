// Reading a pairwise judge's reply: {"winner": "A" | "B" | "tie", "rationale": "..."},
// found anywhere in the reply and validated strictly. Anything else is a failure.
import { z } from 'zod';
import { parseReplyObject } from './reply-json';

/** A verdict in the judge's own terms: the position it preferred. */
export type PositionalVerdict = 'A' | 'B' | 'tie';

export interface PairwiseVerdict {
  winner: PositionalVerdict;
  rationale: string;
}

const VerdictSchema = z.object({
  // Judges write "a", " B ", "Tie"; the meaning is unambiguous, so accept it normalised.
  winner: z
    .string()
    .transform((v) => v.trim())
    .transform((v) => (v.toLowerCase() === 'tie' ? 'tie' : v.toUpperCase()))
    .pipe(z.enum(['A', 'B', 'tie'])),
  rationale: z.string().max(20_000).optional().default(''),
});

export function parsePairwiseVerdict(text: string): { ok: true; verdict: PairwiseVerdict } | { ok: false; reason: string } {
  const parsed = parseReplyObject(text, VerdictSchema);
  if (!parsed.ok) return parsed;
  const { winner, rationale } = parsed.value;
  return { ok: true, verdict: { winner, rationale } };
}
