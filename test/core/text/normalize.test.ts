import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nearDuplicateKey,
  normalizeText,
  similarity,
  similarityBreakdown,
  tokenShingles,
  wordTokens,
} from '../../../core/text/normalize';

describe('normalizeText', () => {
  it.each([
    ['  How   do I\treset\nmy PASSWORD??  ', 'how do i reset my password'],
    ['Réinitialiser', 'reinitialiser'],
    ['Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ', 'full width abc'], // NFKC folds full-width forms
    ['ﬁle', 'file'], // ligature
    ["don't", 'dont'],
    ['don’t', 'dont'], // curly apostrophe
    ['e\u0301cole', 'ecole'], // combining acute accent
    ['İstanbul', 'istanbul'], // lowercasing produces a combining dot, which is stripped
    ['hello,world!', 'hello world'],
    ['price: $5 + 10%', 'price 5 10'],
    ['a\u200Bb\u200Fc', 'abc'], // zero-width space / RTL mark removed
    ['\uFEFFbom', 'bom'],
    ['Ωμέγα', 'ωμεγα'], // Greek accents stripped
    ['Привет, МИР', 'привет мир'],
    ['', ''],
    ['?!...', ''],
  ])('%j → %j', (input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });

  it('keeps emoji, RTL scripts and non-Latin combining marks', () => {
    expect(normalizeText('👍 great')).toBe('👍 great');
    expect(normalizeText('❤️')).toBe(normalizeText('❤')); // variation selector dropped
    expect(normalizeText('مرحبا بالعالم!')).toBe('مرحبا بالعالم');
    expect(normalizeText('שלום, עולם')).toBe('שלום עולם');
    // Devanagari vowel signs are combining marks that carry meaning: kept.
    expect(normalizeText('नमस्ते')).toBe('नमस्ते');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (s) => {
        const once = normalizeText(s);
        expect(normalizeText(once)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('produces no leading/trailing or doubled spaces', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const n = normalizeText(s);
        expect(n).toBe(n.trim());
        expect(n).not.toMatch(/\s{2}/u);
      }),
    );
  });
});

describe('nearDuplicateKey', () => {
  it('matches texts that differ only in case, accents, punctuation and spacing', () => {
    expect(nearDuplicateKey('Où est   ma commande ?')).toBe(nearDuplicateKey('ou est ma commande'));
    expect(nearDuplicateKey('Cancel my subscription!')).toBe(nearDuplicateKey('cancel my subscription'));
  });
  it('separates texts that differ in words', () => {
    expect(nearDuplicateKey('cancel my subscription')).not.toBe(nearDuplicateKey('cancel my order'));
  });
});

describe('wordTokens / tokenShingles', () => {
  it('splits normalised words', () => {
    expect(wordTokens('Hello, World!')).toEqual(['hello', 'world']);
    expect(wordTokens('   ')).toEqual([]);
  });
  it('produces padded character trigrams', () => {
    expect([...tokenShingles('ab')]).toEqual([' ab', 'ab ']);
    expect([...tokenShingles('a')]).toEqual([' a ']);
    expect(tokenShingles('!!!').size).toBe(0);
  });
  it('never splits surrogate pairs', () => {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    const shingles = [...tokenShingles('😀😃😄')];
    expect(shingles).toContain('😀😃😄');
    for (const g of shingles) expect(lone.test(g)).toBe(false);
  });
  it('rejects a bad shingle size', () => {
    expect(() => tokenShingles('abc', 0)).toThrow(RangeError);
  });
});

describe('similarity', () => {
  it('is 1 for texts equal after normalisation and 0 against empty', () => {
    expect(similarity('Reset my password!', 'reset my password')).toBe(1);
    expect(similarity('hello', '')).toBe(0);
    expect(similarity('???', '!!!')).toBe(0);
  });

  it('scores a rephrase above a topic change', () => {
    expect(similarity('how can i reset my password??', 'how do I reset my password')).toBeGreaterThan(
      similarity('thanks, and how do I change my email?', 'how do I reset my password'),
    );
  });

  it('forgives typos and inflection through trigrams and stemming', () => {
    const b = similarityBreakdown('the app keeps crashing', 'app crashes');
    expect(b.words).toBeGreaterThan(0.5);
    expect(similarity('reset pasword', 'reset password')).toBeGreaterThan(0.6);
  });

  const anyText = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.lorem({ maxCount: 12 }));

  it('is symmetric and within [0, 1]', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        const ab = similarity(a, b);
        expect(ab).toBe(similarity(b, a));
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it('is 1 for a text with itself when it normalises to something', () => {
    fc.assert(
      fc.property(anyText, (x) => {
        fc.pre(normalizeText(x) !== '');
        expect(similarity(x, x)).toBe(1);
      }),
      { numRuns: 500 },
    );
  });

  it('is symmetric on word-overlapping sentences (shared vocabulary, varying order)', () => {
    const vocab = ['how', 'do', 'i', 'reset', 'my', 'password', 'please', 'change', 'email', 'account', 'the'];
    const sentence = fc.array(fc.constantFrom(...vocab), { minLength: 1, maxLength: 8 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(sentence, sentence, (a, b) => {
        expect(similarity(a, b)).toBe(similarity(b, a));
      }),
    );
  });
});
