import { describe, expect, it } from 'vitest';
import { RedactionSettingsSchema, redactText } from '../../../core/traces/redaction';

const on = RedactionSettingsSchema.parse({ enabled: true });

describe('PII redaction', () => {
  it('redacts emails, phone numbers and Luhn-valid card numbers', () => {
    expect(redactText('mail me at jane.doe+x@example.co.uk please', on)).toBe('mail me at [EMAIL] please');
    expect(redactText('call +49 30 1234 5678 or (555) 123-4567', on)).toBe('call [PHONE] or [PHONE]');
    expect(redactText('card 4111 1111 1111 1111 expires', on)).toBe('card [CARD] expires');
    expect(redactText('card 4111-1111-1111-1111.', on)).toBe('card [CARD].');
  });

  it('leaves ordinary numbers alone', () => {
    expect(redactText('order 1182 costs 45.90 in 2026', on)).toBe('order 1182 costs 45.90 in 2026');
    // 16 digits that fail the Luhn check are not a card (but long digit runs still count as a phone).
    expect(redactText('ref 1234567812345678', { ...on, patterns: ['card'] })).toBe('ref 1234567812345678');
  });

  it('does nothing when disabled, applies custom patterns, and refuses invalid ones', () => {
    expect(redactText('jane@example.com', RedactionSettingsSchema.parse({}))).toBe('jane@example.com');
    expect(redactText('employee E-12345 asked', { ...on, custom: ['E-\\d{5}'] })).toBe('employee [REDACTED] asked');
    expect(RedactionSettingsSchema.safeParse({ custom: ['(unclosed'] }).success).toBe(false);
  });

  it('redacts 1 MiB texts of every adversarial shape in one pass (no quadratic backtracking)', () => {
    // The e-mail pattern used to backtrack quadratically on a long run of letters without an @;
    // at 1 MiB that was minutes, far past this test's timeout.
    const n = 1 << 20;
    const shapes = ['a'.repeat(n), 'a.'.repeat(n / 2), 'a@'.repeat(n / 2), `${'1'.repeat(n)}x`, '1 '.repeat(n / 2), '1-'.repeat(n / 2), 'ab1 .-@'.repeat(Math.floor(n / 7))];
    for (const text of shapes) expect(redactText(text, { ...on, custom: ['(a+)+b'] }).length).toBeGreaterThan(0);
    expect(redactText(`${'x'.repeat(n)} jane@example.com`, on)).toBe(`${'x'.repeat(n)} [EMAIL]`);
  });
});
