// Optional PII redaction at ingestion, applied before anything is stored or hashed.
import { RE2JS } from 're2js';
import { z } from 'zod';
import { compileUserPattern, type UserPattern } from '../text/user-pattern';
import type { NormalizedTrace } from './trace-schema';

export const BUILTIN_PATTERNS = ['email', 'phone', 'card'] as const;
export type BuiltinPattern = (typeof BUILTIN_PATTERNS)[number];

export const RedactionSettingsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  patterns: z.array(z.enum(BUILTIN_PATTERNS)).default(['email', 'phone', 'card']),
  /** Extra regular expressions (RE2 syntax: linear time on every trace), each replaced by [REDACTED]. */
  custom: z
    .array(
      z.string().min(1).max(500).superRefine((value, ctx) => {
        const compiled = compileUserPattern(value);
        if (!compiled.ok) ctx.addIssue({ code: 'custom', message: `every custom pattern must be a valid regular expression: ${compiled.reason}` });
      }),
    )
    .max(20)
    .default([]),
});

export type RedactionSettings = z.infer<typeof RedactionSettingsSchema>;

// On RE2: as a backtracking regex this pattern is quadratic on a long run of letters without
// an @ (19 s for 200,000 characters, minutes for a 1 MiB line); RE2 reads the text once.
const EMAIL = RE2JS.compile('[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}');
// International or local numbers of 7+ digits with common separators; not plain years or amounts.
const PHONE = /(?<![\w@])(?:\+|\()?\d[\d\s().-]{6,}\d(?!\w)/g;
const CARD_CANDIDATE = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Compiled once per list of patterns (settings are loaded once per upload, texts are many). */
const compiledCustom = new WeakMap<readonly string[], UserPattern[]>();

function customPatterns(sources: readonly string[]): UserPattern[] {
  let patterns = compiledCustom.get(sources);
  if (!patterns) {
    // Settings are validated when set; a pattern that does not compile must stop ingestion,
    // never let unredacted text through.
    patterns = sources.map((source) => {
      const compiled = compileUserPattern(source);
      if (!compiled.ok) throw new Error(`custom redaction pattern cannot be used: ${compiled.reason}`);
      return compiled.pattern;
    });
    compiledCustom.set(sources, patterns);
  }
  return patterns;
}

export function redactText(text: string, settings: RedactionSettings): string {
  if (!settings.enabled) return text;
  let out = text;
  // Cards first (only Luhn-valid numbers), so the phone pattern does not swallow them.
  if (settings.patterns.includes('card')) out = out.replace(CARD_CANDIDATE, (m) => (luhnValid(m.replace(/\D/g, '')) ? '[CARD]' : m));
  if (settings.patterns.includes('email')) out = EMAIL.matcher(out).replaceAll(() => '[EMAIL]');
  if (settings.patterns.includes('phone')) out = out.replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 ? '[PHONE]' : m));
  for (const pattern of customPatterns(settings.custom)) out = pattern.replaceAll(out, '[REDACTED]');
  return out;
}

/** The trace with every free-text field redacted; structure and ids untouched. */
export function redactTrace(trace: NormalizedTrace, settings: RedactionSettings): NormalizedTrace {
  if (!settings.enabled) return trace;
  const r = (s: string) => redactText(s, settings);
  return {
    ...trace,
    input: r(trace.input),
    output: r(trace.output),
    context: trace.context.map((c) => ({ ...c, text: r(c.text) })),
    feedback: trace.feedback ? { ...trace.feedback, comment: trace.feedback.comment === null ? null : r(trace.feedback.comment) } : null,
  };
}
