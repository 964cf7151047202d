import { describe, expect, it } from 'vitest';
import { preferenceOf, reconcileBothOrders } from '../../../core/shadow/both-orders';
import type { PositionalVerdict } from '../../../core/judge/parse-pairwise-verdict';

describe('reconciling both orders of a pair', () => {
  it('maps a positional verdict to the candidate or production answer by where the candidate was shown', () => {
    expect(preferenceOf('A', 'A')).toBe('candidate');
    expect(preferenceOf('B', 'A')).toBe('production');
    expect(preferenceOf('A', 'B')).toBe('production');
    expect(preferenceOf('B', 'B')).toBe('candidate');
    expect(preferenceOf('tie', 'A')).toBe('tie');
  });

  it('counts a pair as won or lost only when both orders agree', () => {
    // Candidate first: A is the candidate. Production first: B is the candidate.
    expect(reconcileBothOrders('A', 'B')).toEqual({ outcome: 'win', inconsistent: false, reversed: false });
    expect(reconcileBothOrders('B', 'A')).toEqual({ outcome: 'loss', inconsistent: false, reversed: false });
    expect(reconcileBothOrders('tie', 'tie')).toEqual({ outcome: 'tie', inconsistent: false, reversed: false });
  });

  it('makes a pair whose verdict flips with the order a tie, never a win', () => {
    // The judge chose the first answer both times: pure position bias.
    expect(reconcileBothOrders('A', 'A')).toEqual({ outcome: 'tie', inconsistent: true, reversed: true });
    expect(reconcileBothOrders('B', 'B')).toEqual({ outcome: 'tie', inconsistent: true, reversed: true });
    // A win in one order and a tie in the other is inconsistent too, but not a reversal.
    expect(reconcileBothOrders('A', 'tie')).toEqual({ outcome: 'tie', inconsistent: true, reversed: false });
    expect(reconcileBothOrders('tie', 'A')).toEqual({ outcome: 'tie', inconsistent: true, reversed: false });
  });

  it('leaves a pair without a verdict in either order out (outcome null)', () => {
    expect(reconcileBothOrders(null, 'B')).toEqual({ outcome: null, inconsistent: false, reversed: false });
    expect(reconcileBothOrders('A', null)).toEqual({ outcome: null, inconsistent: false, reversed: false });
    expect(reconcileBothOrders(null, null).outcome).toBeNull();
  });

  it('is symmetric: the same two calls read from the production side swap win and loss', () => {
    const verdicts: PositionalVerdict[] = ['A', 'B', 'tie'];
    const flip = { win: 'loss', loss: 'win', tie: 'tie' } as const;
    for (const x of verdicts) {
      for (const y of verdicts) {
        const r = reconcileBothOrders(x, y);
        // From the production answer's side, the call that showed it first is the second one.
        const mirrored = reconcileBothOrders(y, x);
        expect(mirrored.outcome).toBe(flip[r.outcome!]);
        expect(mirrored.inconsistent).toBe(r.inconsistent);
      }
    }
  });
});
