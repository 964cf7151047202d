// Finding JSON objects in an LLM's reply: bare, fenced or inside prose. Shared by every
// reply parser so they all accept the same shapes of reply.
import type { z } from 'zod';

/** Candidate JSON objects in order: each balanced {...} span that starts at a "{". */
function* objectSpans(text: string): Generator<string> {
  for (let start = text.indexOf('{'); start !== -1; start = text.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i += 1) {
      const ch = text[i];
      if (inString) {
        if (ch === '\\') i += 1;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') depth += 1;
      else if (ch === '}' && --depth === 0) {
        yield text.slice(start, i + 1);
        break;
      }
    }
  }
}

/** Replies longer than this are refused before any parsing (a runaway generation). */
const MAX_REPLY_CHARS = 200_000;

/**
 * The first JSON object in the reply that `schema` accepts. Otherwise why not: an empty or
 * oversized reply, no JSON object at all, or what was wrong with the last object tried.
 */
export function parseReplyObject<T>(text: string, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reason: string } {
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
    const parsed = schema.safeParse(value);
    if (parsed.success) return { ok: true, value: parsed.data };
    lastProblem = parsed.error.issues.map((i) => `${i.path.join('.') || 'reply'}: ${i.message}`).join('; ');
  }
  return { ok: false, reason: lastProblem };
}
