// The fast paths of core/text/normalize.ts (ASCII normalisation, code-unit shingles,
// features computed once) must give exactly what the general code gave: compared here
// with that code, kept verbatim in ./reference-normalize.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keepDistinctCandidates } from '../../../core/sampling/near-duplicates';
import { normalizeText, similarityBreakdown, tokenShingles } from '../../../core/text/normalize';
import * as reference from './reference-normalize';

const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const anyText = fc.oneof(ascii, fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme-ascii', maxLength: 60 }));
// Texts that share words, so that similarities cover the whole range, not just ~0.
const WORDS = ['how', 'do', 'I', 'reset', 'my', 'password', 'Password?', 'cancel', 'subscription', 'crashes', 'crashing', "don't", 'café', 'Réinitialiser', '👍', 'the', 'app', '—', 'İstanbul', 'ﬁle'];
const sentence = fc.array(fc.constantFrom(...WORDS), { minLength: 0, maxLength: 9 }).chain((words) => fc.constantFrom(' ', '  ', ', ', '\t').map((sep) => words.join(sep)));

describe('normalisation fast paths agree with the general code', () => {
  it('normalizeText: ASCII and any other text', () => {
    fc.assert(fc.property(fc.oneof(ascii, anyText, sentence), (s) => {
      expect(normalizeText(s)).toBe(reference.normalizeText(s));
    }), { numRuns: 3000 });
  });

  it('every ASCII character on its own and in context', () => {
    for (let c = 0; c < 0x80; c++) {
      const ch = String.fromCharCode(c);
      for (const s of [ch, `a${ch}b`, `${ch}${ch} x`, `Don${ch}t`]) expect(normalizeText(s)).toBe(reference.normalizeText(s));
    }
  });

  it('tokenShingles for n = 1..4, with and without surrogate pairs', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, sentence), fc.integer({ min: 1, max: 4 }), (s, n) => {
        expect([...tokenShingles(s, n)].sort()).toEqual([...reference.tokenShingles(s, n)].sort());
      }),
      { numRuns: 2000 },
    );
  });

  it('similarityBreakdown, bit for bit', () => {
    fc.assert(fc.property(fc.oneof(sentence, anyText), fc.oneof(sentence, anyText), (a, b) => {
      expect(similarityBreakdown(a, b)).toEqual(reference.similarityBreakdown(a, b));
    }), { numRuns: 3000 });
  });

  it('near-duplicate dedupe keeps and excludes the same candidates as pairwise similarity says', () => {
    fc.assert(
      fc.property(fc.array(sentence, { minLength: 1, maxLength: 30 }), (inputs) => {
        const candidates = inputs.map((input, i) => ({ traceId: `t${i}`, input, group: `g${i % 3}`, quota: 4 }));
        const { kept, excluded } = keepDistinctCandidates(candidates);
        // Replayed with the reference similarity: the same decisions, in the same order.
        const keptRef: { traceId: string; norm: string; input: string }[] = [];
        const excludedRef: unknown[] = [];
        const perGroup = new Map<string, number>();
        for (const c of candidates) {
          const n = perGroup.get(c.group) ?? 0;
          if (n >= c.quota) continue;
          const norm = reference.normalizeText(c.input);
          let why: unknown = null;
          if (norm !== '') {
            const same = keptRef.find((k) => k.norm === norm);
            if (same) why = { traceId: c.traceId, reason: 'duplicate', duplicateOf: same.traceId, similarity: 1 };
            else {
              let best: { traceId: string; score: number } | null = null;
              for (const k of keptRef) {
                const score = reference.similarityBreakdown(c.input, k.input).score;
                if (score >= 0.9 && (best === null || score > best.score)) best = { traceId: k.traceId, score };
              }
              if (best) why = { traceId: c.traceId, reason: 'near_duplicate', duplicateOf: best.traceId, similarity: best.score };
            }
          }
          if (why === null) {
            if (norm !== '') keptRef.push({ traceId: c.traceId, norm, input: c.input });
            perGroup.set(c.group, n + 1);
          } else excludedRef.push(why);
        }
        expect(excluded).toEqual(excludedRef);
        expect(kept.length).toBe([...perGroup.values()].reduce((a, b) => a + b, 0));
      }),
      { numRuns: 300 },
    );
  });
});
