import { describe, expect, it } from 'vitest';
import { casesToRetire, subtractMonthsUtc } from '../../../core/evalsets/retirement';

const now = '2025-06-15T12:00:00.000Z';
const c = (caseKey: string, createdAt: string, slice: Record<string, string>, retired = false) => ({ caseKey, createdAt, slice, retired });
const opts = { olderThanMonths: 6, sliceDimension: 'intent', recentSliceCounts: { billing: 40, legacy_export: 0 }, now };

describe('casesToRetire', () => {
  it('retires old cases whose slice value has no recent traffic (count 0 or absent)', () => {
    const r = casesToRetire(
      [
        c('trace:zero', '2024-10-01T00:00:00Z', { intent: 'legacy_export' }),
        c('trace:absent', '2024-01-01T00:00:00Z', { intent: 'fax_support' }),
        c('trace:live', '2024-01-01T00:00:00Z', { intent: 'billing' }),
      ],
      opts,
    );
    expect(r.map((x) => x.caseKey)).toEqual(['trace:zero', 'trace:absent']);
    expect(r[0]!.reason).toBe('created 2024-10-01, more than 6 month(s) ago, and intent=legacy_export was not seen in recent production traffic');
  });

  it('keeps cases younger than K months; the cutoff itself is not older', () => {
    const r = casesToRetire(
      [
        c('trace:at-cutoff', '2024-12-15T12:00:00.000Z', { intent: 'gone' }),
        c('trace:just-before', '2024-12-15T11:59:59.999Z', { intent: 'gone' }),
        c('trace:young', '2025-05-01T00:00:00Z', { intent: 'gone' }),
      ],
      opts,
    );
    expect(r.map((x) => x.caseKey)).toEqual(['trace:just-before']);
  });

  it('never retires cases without the slice tag, nor already retired ones', () => {
    const r = casesToRetire(
      [
        c('trace:untagged', '2020-01-01T00:00:00Z', { locale: 'de' }),
        c('trace:empty', '2020-01-01T00:00:00Z', { intent: '' }),
        c('trace:done', '2020-01-01T00:00:00Z', { intent: 'gone' }, true),
      ],
      opts,
    );
    expect(r).toEqual([]);
  });

  it('does not read prototype properties as slice values or counts', () => {
    const r = casesToRetire(
      [c('trace:a', '2020-01-01T00:00:00Z', { intent: 'toString' })],
      { ...opts, sliceDimension: 'intent', recentSliceCounts: {} },
    );
    expect(r.map((x) => x.caseKey)).toEqual(['trace:a']);
    expect(casesToRetire([c('trace:b', '2020-01-01T00:00:00Z', {})], { ...opts, sliceDimension: 'constructor' })).toEqual([]);
  });

  it('throws on bad options and unreadable timestamps instead of guessing', () => {
    expect(() => casesToRetire([], { ...opts, olderThanMonths: 0 })).toThrow(RangeError);
    expect(() => casesToRetire([], { ...opts, olderThanMonths: 1.5 })).toThrow(RangeError);
    expect(() => casesToRetire([], { ...opts, sliceDimension: '' })).toThrow(RangeError);
    expect(() => casesToRetire([], { ...opts, now: 'yesterday' })).toThrow(RangeError);
    expect(() => casesToRetire([c('trace:x', 'not a date', { intent: 'gone' })], opts)).toThrow(/trace:x/);
  });
});

describe('subtractMonthsUtc', () => {
  it('moves back calendar months, clamping month-end days', () => {
    const iso = (s: string, m: number) => new Date(subtractMonthsUtc(Date.parse(s), m)).toISOString();
    expect(iso('2024-03-31T10:00:00Z', 1)).toBe('2024-02-29T10:00:00.000Z');
    expect(iso('2025-03-31T10:00:00Z', 1)).toBe('2025-02-28T10:00:00.000Z');
    expect(iso('2025-01-15T00:00:00Z', 13)).toBe('2023-12-15T00:00:00.000Z');
    expect(iso('0050-03-01T00:00:00Z', 1)).toBe('0050-02-01T00:00:00.000Z');
  });
});
