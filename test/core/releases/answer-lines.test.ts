import { describe, expect, it } from 'vitest';
import { answerContentHash, checkReleaseName, parseAnswerLine, parseAnswerRecord } from '../../../core/releases/answer-lines';

const CASE = '3f2b7d1e-8c4a-4b6e-9a1d-2c3e4f5a6b7c';

describe('answer lines', () => {
  it('reads {caseId, output} and {traceId, output}', () => {
    expect(parseAnswerLine(JSON.stringify({ caseId: CASE.toUpperCase(), output: 'Refunds take 5-7 days.' }), 'caseId', 3)).toEqual({ ok: true, line: 3, key: CASE, output: 'Refunds take 5-7 days.' });
    expect(parseAnswerLine('{"traceId":"tr_8812","output":"ok"}', 'traceId', 1)).toEqual({ ok: true, line: 1, key: 'tr_8812', output: 'ok' });
    expect(parseAnswerLine('   ', 'caseId', 2)).toBeNull();
  });

  it('says what is wrong with a bad line, by its number', () => {
    const reason = (text: string, field: 'caseId' | 'traceId' = 'caseId') => {
      const r = parseAnswerLine(text, field, 7);
      return r && !r.ok ? r.reason : 'accepted';
    };
    expect(reason('{"caseId": ')).toMatch(/^line 7: invalid JSON/);
    expect(reason('[1,2]')).toBe('line 7: expected a JSON object {"caseId": ..., "output": ...}');
    expect(reason(`{"caseId":"${CASE}"}`)).toBe('line 7: missing required field `output`');
    expect(reason('{"output":"x"}')).toBe('line 7: missing required field `caseId`');
    expect(reason(`{"caseId":"${CASE}","output":"x","outptu":"y"}`)).toBe('line 7: unknown field `outptu` (expected caseId and output)');
    expect(reason('{"caseId":"1; DROP TABLE eval_case","output":"x"}')).toBe('line 7: caseId must be an eval case id (a UUID)');
    expect(reason(`{"caseId":"${CASE}","output":""}`)).toBe('line 7: output must not be empty');
    expect(reason(`{"caseId":"${CASE}","output":42}`)).toBe('line 7: output must be a string');
    expect(reason(`{"caseId":"${CASE}","output":"a\\u0000b"}`)).toMatch(/^line 7: output contains a NUL character/);
    expect(reason(`{"traceId":"","output":"x"}`, 'traceId')).toBe('line 7: traceId must not be empty');
    expect(reason(`{"traceId":"t","output":"${'x'.repeat(200_001)}"}`, 'traceId')).toMatch(/at most 200000 characters/);
  });

  it('counts GraphQL items as items', () => {
    expect(parseAnswerRecord({ caseId: 'nope', output: 'x' }, 'caseId', 2, 'item')).toEqual({ ok: false, line: 2, reason: 'item 2: caseId must be an eval case id (a UUID)' });
  });

  it('hashes content and checks release names', () => {
    expect(answerContentHash('a')).toBe(answerContentHash('a'));
    expect(answerContentHash('a')).not.toBe(answerContentHash('a '));
    expect(checkReleaseName('  support-v8 ')).toEqual({ ok: true, name: 'support-v8' });
    expect(checkReleaseName(' ')).toMatchObject({ ok: false });
    expect(checkReleaseName('x'.repeat(201))).toMatchObject({ ok: false });
  });
});
