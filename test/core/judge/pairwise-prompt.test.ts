import { describe, expect, it } from 'vitest';
import { renderPairwiseMessages } from '../../../core/judge/pairwise-prompt';
import { parsePairwiseVerdict } from '../../../core/judge/parse-pairwise-verdict';

describe('pairwise prompt', () => {
  it('shows the conversation, the documents and both answers under their headings', () => {
    const m = renderPairwiseMessages({
      input: 'how long do refunds take?',
      sessionContext: [{ input: 'hi', output: 'hello' }],
      retrievedContext: [{ id: 'kb1', text: 'Refunds take 5-7 days.' }],
      answerA: 'five to seven days',
      answerB: 'instantly',
    });
    expect(m.system).toMatch(/Answer A/);
    expect(m.system).toMatch(/Answer B/);
    expect(m.system).toMatch(/arbitrary order/);
    expect(m.user).toContain('## Conversation so far\nUser: hi\nAssistant: hello');
    expect(m.user).toContain('[kb1] Refunds take 5-7 days.');
    expect(m.user.indexOf('## Answer A\nfive to seven days')).toBeLessThan(m.user.indexOf('## Answer B\ninstantly'));
  });

  it('leaves out empty sections', () => {
    const m = renderPairwiseMessages({ input: 'q', sessionContext: [], retrievedContext: [], answerA: 'a', answerB: 'b' });
    expect(m.user).toBe('## User message\nq\n\n## Answer A\na\n\n## Answer B\nb\n\nReturn the JSON verdict.');
  });
});

describe('reading a pairwise verdict', () => {
  it('accepts a bare, fenced or embedded object and normalises the winner', () => {
    expect(parsePairwiseVerdict('{"winner":"A","rationale":"more accurate"}')).toEqual({ ok: true, verdict: { winner: 'A', rationale: 'more accurate' } });
    expect(parsePairwiseVerdict('```json\n{"winner": "b"}\n```')).toEqual({ ok: true, verdict: { winner: 'B', rationale: '' } });
    expect(parsePairwiseVerdict('After thought: {"winner": " Tie ", "rationale": "same"} done')).toMatchObject({ ok: true, verdict: { winner: 'tie' } });
    // The first object that is a verdict wins; earlier unrelated objects are skipped.
    expect(parsePairwiseVerdict('{"note": 1} {"winner": "A"}')).toMatchObject({ ok: true, verdict: { winner: 'A' } });
  });

  it('refuses anything that is not a verdict, with the reason', () => {
    expect(parsePairwiseVerdict('')).toEqual({ ok: false, reason: 'empty reply' });
    expect(parsePairwiseVerdict('A is better')).toEqual({ ok: false, reason: 'no JSON object in the reply' });
    expect(parsePairwiseVerdict('{"winner": "C"}')).toMatchObject({ ok: false, reason: expect.stringMatching(/^winner:/) });
    expect(parsePairwiseVerdict('{"winner": 1}')).toMatchObject({ ok: false });
    expect(parsePairwiseVerdict('{"winner": "A"')).toEqual({ ok: false, reason: 'no JSON object in the reply' });
    expect(parsePairwiseVerdict('x'.repeat(200_001))).toMatchObject({ ok: false, reason: expect.stringMatching(/over 200000/) });
  });
});
