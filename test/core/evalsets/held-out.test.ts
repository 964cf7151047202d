import { describe, expect, it } from 'vitest';
import { HeldOutViolation, assertTuningSource, excludeHeldOutCases, tuningExamplesFrom } from '../../../core/evalsets/held-out';
import type { EvalSetKind } from '../../../core/evalsets/types';

describe('assertTuningSource', () => {
  it('throws HeldOutViolation for a regression set, saying why', () => {
    let caught: unknown;
    try {
      assertTuningSource({ kind: 'regression', name: 'regression' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HeldOutViolation);
    expect(caught).toBeInstanceOf(Error);
    const err = caught as HeldOutViolation;
    expect(err.name).toBe('HeldOutViolation');
    expect(err.setNames).toEqual(['regression']);
    expect(err.message).toBe(
      'eval set "regression" is a regression set and is held out: it may be evaluated against but never used to tune a judge (few-shot examples, rubric edits)',
    );
  });

  it('allows production and custom sets', () => {
    expect(() => assertTuningSource({ kind: 'production', name: 'production' })).not.toThrow();
    expect(() => assertTuningSource({ kind: 'custom', name: 'golden' })).not.toThrow();
  });

  it('fails closed on an unknown kind', () => {
    expect(() => assertTuningSource({ kind: 'shadow' as EvalSetKind, name: 'x' })).toThrow(HeldOutViolation);
  });
});

describe('tuningExamplesFrom', () => {
  const prod = { kind: 'production' as const, name: 'production', cases: [{ caseKey: 'p1' }, { caseKey: 'shared' }] };
  const custom = { kind: 'custom' as const, name: 'golden', cases: [{ caseKey: 'c1' }] };
  const reg = { kind: 'regression' as const, name: 'regression', cases: [{ caseKey: 'shared' }] };

  it('returns the cases of tunable sets in order', () => {
    expect(tuningExamplesFrom([prod, custom]).map((c) => c.caseKey)).toEqual(['p1', 'shared', 'c1']);
  });

  it('throws loudly if any regression set is passed, even alongside allowed ones', () => {
    expect(() => tuningExamplesFrom([prod, reg, custom])).toThrow(HeldOutViolation);
    expect(() => tuningExamplesFrom([prod, reg, custom])).toThrow(/"regression" is a regression set and is held out/);
    expect(() => tuningExamplesFrom([reg])).toThrow(/never used to tune a judge/);
  });

  it('excludeHeldOutCases drops production copies of regression cases', () => {
    const examples = tuningExamplesFrom([prod, custom]);
    expect(excludeHeldOutCases(examples, [reg]).map((c) => c.caseKey)).toEqual(['p1', 'c1']);
    expect(() => excludeHeldOutCases(examples, [prod])).toThrow(RangeError);
  });
});
