// Reading a judge's reply: the first JSON object in it (bare, fenced or inside prose),
// validated strictly. A missing or out-of-range field is a failure, never a default.
import { z } from 'zod';
import { DIMENSIONS, type Dimension } from '../stats/agreement';
import { MAX_REPLY_CHARS, objectSpans } from './reply-json';

export interface Judgment {
  scores: Record<Dimension, number>;
  verdict: 'pass' | 'fail';
  rationale: string;
}

const score = z.number().int().min(1).max(5);
const JudgmentSchema = z.object({
  scores: z.object(Object.fromEntries(DIMENSIONS.map((d) => [d, score])) as Record<Dimension, typeof score>),
  verdict: z.string().transform((v) => v.trim().toLowerCase()).pipe(z.enum(['pass', 'fail'])),
  rationale: z.string().max(20_000).optional().default(''),
});

export function parseJudgment(text: string): { ok: true; judgment: Judgment } | { ok: false; reason: string } {
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
    const parsed = JudgmentSchema.safeParse(value);
    if (parsed.success) return { ok: true, judgment: { scores: parsed.data.scores, verdict: parsed.data.verdict, rationale: parsed.data.rationale } };
    lastProblem = parsed.error.issues.map((i) => `${i.path.join('.') || 'reply'}: ${i.message}`).join('; ');
  }
  return { ok: false, reason: lastProblem };
}
