// Regular expressions that users supply (rater id filters, import field mappings, custom
// redaction patterns) run on RE2 (re2js): matching is linear in the text, so a pattern
// such as `(a+)+$` cannot stall the service over many rows, as a backtracking engine would.
// RE2 syntax: no look-around and no back-references; such patterns are refused with a reason.
import { RE2JS } from 're2js';

export const MAX_USER_PATTERN_LENGTH = 500;

export interface UserPattern {
  source: string;
  /** True when the pattern matches anywhere in the text. */
  test(text: string): boolean;
  /** Every match replaced by `replacement`, taken literally (no `$1` substitution). */
  replaceAll(text: string, replacement: string): string;
}

type UserPatternResult = { ok: true; pattern: UserPattern } | { ok: false; reason: string };

export function compileUserPattern(source: string): UserPatternResult {
  if (typeof source !== 'string' || source.length === 0) return { ok: false, reason: 'the pattern is empty' };
  if (source.length > MAX_USER_PATTERN_LENGTH) return { ok: false, reason: `the pattern is ${source.length} characters, over ${MAX_USER_PATTERN_LENGTH}` };
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (error) {
    return { ok: false, reason: `not a valid RE2 regular expression (no look-around or back-references): ${(error as Error).message.slice(0, 200)}` };
  }
  return {
    ok: true,
    pattern: {
      source,
      test: (text) => compiled.test(text),
      replaceAll: (text, replacement) => compiled.matcher(text).replaceAll(() => replacement),
    },
  };
}
