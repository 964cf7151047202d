import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseContentHash, pickCaseContent, versionContentHash } from '../../../core/evalsets/content-hash';
import { evalCase, exportCase, label } from './fixtures';

describe('caseContentHash', () => {
  it('is a sha256 hex digest, stable for equal content', () => {
    const h = caseContentHash(evalCase());
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(caseContentHash(evalCase())).toBe(h);
  });

  it('does not depend on key order', () => {
    const c = evalCase({ slice: { a: '1', b: '2' } });
    const reordered = Object.fromEntries(Object.entries(c).reverse()) as typeof c;
    reordered.slice = { b: '2', a: '1' };
    expect(caseContentHash(reordered)).toBe(caseContentHash(c));
  });

  it('changes with any content change, including a label', () => {
    const base = caseContentHash(evalCase());
    expect(caseContentHash(evalCase({ input: 'other' }))).not.toBe(base);
    expect(caseContentHash(evalCase({ labels: [label({ notes: 'x' })] }))).not.toBe(base);
    expect(caseContentHash(evalCase({ expected: '' }))).not.toBe(base);
  });

  it('ignores export-only fields, so an ExportCase hashes like its content', () => {
    const e = exportCase({ id: 'row-9', contentHash: 'whatever' });
    expect(caseContentHash(e)).toBe(caseContentHash(evalCase()));
    expect(Object.keys(pickCaseContent(e))).not.toContain('id');
  });
});

describe('versionContentHash', () => {
  it('is independent of case order', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[0-9a-f]{8}$/), { maxLength: 20 }), fc.infiniteStream(fc.nat()), (hashes, seeds) => {
        const shuffled = hashes.map((h) => ({ h, k: seeds.next().value })).sort((x, y) => x.k - y.k).map((x) => x.h);
        expect(versionContentHash(shuffled)).toBe(versionContentHash(hashes));
      }),
    );
  });

  it('does not mutate its input and differs for different case sets', () => {
    const input = ['b', 'a'];
    const h = versionContentHash(input);
    expect(input).toEqual(['b', 'a']);
    expect(versionContentHash(['a', 'c'])).not.toBe(h);
    expect(versionContentHash(['a', 'b', 'b'])).not.toBe(h);
  });
});
