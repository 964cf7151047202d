// Reading a pairwise judge's reply: {"winner": "A" | "B" | "tie", "rationale": "..."},
// found anywhere in the reply and validated strictly. Anything else is a failure.
import { z } from 'zod';
import { MAX_REPLY_CHARS, objectSpans } from './reply-json';

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
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, reason: 'empty reply' };
  if (text.length > MAX_REPLY_CHARS) return { ok: false, reason: `reply is ${text.length} characters, over ${MAX_REPLY_CHARS}` };
  let lastProblem = 'no JSON object in the reply';
  for (const span of objectSpans(text)) {
    let value: unknown;
    try {
      value = JSON.parse(span);
    } catch {
      continue;
    }
    const parsed = VerdictSchema.safeParse(value);
    if (parsed.success) return { ok: true, verdict: { winner: parsed.data.winner, rationale: parsed.data.rationale } };
    lastProblem = parsed.error.issues.map((i) => `${i.path.join('.') || 'reply'}: ${i.message}`).join('; ');
  }
  return { ok: false, reason: lastProblem };
}
