import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  NEAR_DUPLICATE_THRESHOLD,
  describeExclusion,
  dropNearDuplicates,
  keepDistinctCandidates,
} from '../../../core/sampling/near-duplicates';
import { similarity } from '../../../core/text/normalize';

const c = (traceId: string, input: string) => ({ traceId, input });

describe('dropNearDuplicates', () => {
  it('keeps the first of each group of equal-after-normalisation inputs', () => {
    const r = dropNearDuplicates([
      c('t1', 'How do I reset my password?'),
      c('t2', 'how do i reset my password'),
      c('t3', 'HOW DO I RESET MY PASSWORD!!!'),
      c('t4', 'Cancel my order'),
    ]);
    expect(r.kept.map((k) => k.traceId)).toEqual(['t1', 't4']);
    expect(r.excluded).toEqual([
      { traceId: 't2', reason: 'duplicate', duplicateOf: 't1', similarity: 1 },
      { traceId: 't3', reason: 'duplicate', duplicateOf: 't1', similarity: 1 },
    ]);
  });

  it('drops near-duplicates at or above the threshold and keeps different requests', () => {
    const r = dropNearDuplicates([
      c('a', 'cancel my subscription'),
      c('b', 'I want to cancel my subscription please'),
      c('c', 'What is the weather in Paris today'),
      c('d', 'What is the weather in London today'),
      c('e', 'refund for order 1234'),
      c('f', 'refund for order 5678'),
    ]);
    expect(r.kept.map((k) => k.traceId)).toEqual(['a', 'c', 'd', 'e', 'f']);
    expect(r.excluded).toHaveLength(1);
    const [x] = r.excluded;
    expect(x).toMatchObject({ traceId: 'b', reason: 'near_duplicate', duplicateOf: 'a' });
    expect(x!.similarity).toBeGreaterThanOrEqual(NEAR_DUPLICATE_THRESHOLD);
    expect(describeExclusion(x!)).toMatch(/^b: near-duplicate of a \(similarity 0\.9\d\d\)$/);
  });

  it('reports the most similar kept input', () => {
    // c is similar enough to both a and b; b is the closer one.
    const inputs = [c('a', 'please reset my account password now'), c('b', 'reset my password'), c('c', 'reset my password please')];
    expect(similarity(inputs[2]!.input, inputs[1]!.input)).toBeGreaterThan(similarity(inputs[2]!.input, inputs[0]!.input));
    const threshold = similarity(inputs[2]!.input, inputs[0]!.input) - 0.005;
    expect(similarity(inputs[1]!.input, inputs[0]!.input)).toBeLessThan(threshold);
    const r = dropNearDuplicates(inputs, { threshold });
    expect(r.kept.map((k) => k.traceId)).toEqual(['a', 'b']);
    expect(r.excluded.map((e) => [e.traceId, e.duplicateOf])).toEqual([['c', 'b']]);
  });

  it('never treats content-free inputs as duplicates; drops a repeated trace id', () => {
    const r = dropNearDuplicates([c('a', '???'), c('b', ''), c('c', '!!!'), c('a', 'something else')]);
    expect(r.kept.map((k) => k.traceId)).toEqual(['a', 'b', 'c']);
    expect(r.excluded).toEqual([{ traceId: 'a', reason: 'duplicate_trace', duplicateOf: 'a', similarity: 1 }]);
  });

  it('keeps extra fields of the candidates and rejects a bad threshold', () => {
    const r = dropNearDuplicates([{ traceId: 'a', input: 'x', stratum: 'rephrase' }]);
    expect(r.kept[0]!.stratum).toBe('rephrase');
    expect(() => dropNearDuplicates([], { threshold: 0 })).toThrow(RangeError);
    expect(() => dropNearDuplicates([], { threshold: 1.1 })).toThrow(RangeError);
  });

  it('property: kept + excluded partition the input; no two kept inputs are near-duplicates', () => {
    const words = fc.constantFrom('reset', 'password', 'my', 'refund', 'order', 'cancel', 'please', 'how', 'do', 'I', '!');
    const input = fc.array(words, { minLength: 0, maxLength: 6 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(fc.array(input, { maxLength: 25 }), (inputs) => {
        const candidates = inputs.map((text, i) => c(`t${i}`, text));
        const r = dropNearDuplicates(candidates);
        const ids = [...r.kept.map((k) => k.traceId), ...r.excluded.map((e) => e.traceId)].sort();
        expect(ids).toEqual(candidates.map((x) => x.traceId).sort());
        for (let i = 0; i < r.kept.length; i++) {
          for (let j = i + 1; j < r.kept.length; j++) {
            expect(similarity(r.kept[i]!.input, r.kept[j]!.input)).toBeLessThan(NEAR_DUPLICATE_THRESHOLD);
          }
        }
        const keptIds = new Set(r.kept.map((k) => k.traceId));
        for (const e of r.excluded) expect(keptIds.has(e.duplicateOf)).toBe(true);
        expect(dropNearDuplicates(candidates)).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });
});

describe('keepDistinctCandidates', () => {
  it('fills each group up to its quota, replacing duplicates with the next candidate', () => {
    const g = (traceId: string, input: string, group: string, quota: number) => ({ traceId, input, group, quota });
    const r = keepDistinctCandidates([
      g('r1', 'reset my password', 'rephrase', 2),
      g('r2', 'Reset my password!', 'rephrase', 2),
      g('r3', 'cancel my order', 'rephrase', 2),
      g('r4', 'track my parcel', 'rephrase', 2),
      g('b1', 'reset my password', 'baseline', 2),
      g('b2', 'what are your opening hours', 'baseline', 2),
      g('b3', 'do you ship abroad', 'baseline', 2),
    ]);
    expect(r.kept.map((k) => k.traceId)).toEqual(['r1', 'r3', 'b2', 'b3']);
    // r4 and nothing else is skipped silently: its cell was already full
    expect(r.excluded.map((e) => [e.traceId, e.reason, e.duplicateOf])).toEqual([
      ['r2', 'duplicate', 'r1'],
      ['b1', 'duplicate', 'r1'],
    ]);
  });

  it('a group with too few distinct candidates keeps fewer', () => {
    const r = keepDistinctCandidates([
      { traceId: 'a', input: 'hi there', group: 'g', quota: 3 },
      { traceId: 'b', input: 'hi there', group: 'g', quota: 3 },
    ]);
    expect(r.kept.map((k) => k.traceId)).toEqual(['a']);
    expect(r.excluded).toHaveLength(1);
  });
});
