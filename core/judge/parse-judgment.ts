// Reading a judge's reply: the first JSON object in it (bare, fenced or inside prose),
// validated strictly. A missing or out-of-range field is a failure, never a default.
import { z } from 'zod';
import { DIMENSIONS, type Dimension } from '../stats/agreement';
import { parseReplyObject } from './reply-json';

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
  const parsed = parseReplyObject(text, JudgmentSchema);
  if (!parsed.ok) return parsed;
  const { scores, verdict, rationale } = parsed.value;
  return { ok: true, judgment: { scores, verdict, rationale } };
}
