// Finding JSON objects in an LLM's reply: bare, fenced or inside prose. Shared by every
// reply parser so they all accept the same shapes of reply.

/** Candidate JSON objects in order: each balanced {...} span that starts at a "{". */
export function* objectSpans(text: string): Generator<string> {
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
export const MAX_REPLY_CHARS = 200_000;
