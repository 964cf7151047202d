import { describe, expect, it } from 'vitest';
import { parseRecordFeedbackInput, recordFeedbackInputSchema } from '../../../core/traces/feedback-schema';

describe('recordFeedback input', () => {
  it.each([
    [{ traceId: 't1', thumb: 'down' }, { traceId: 't1', thumb: 'down' }],
    [{ traceId: 't1', rating: 5 }, { traceId: 't1', rating: 5 }],
    [{ traceId: 't1', comment: 'wrong answer 👎' }, { traceId: 't1', comment: 'wrong answer 👎' }],
    [{ traceId: 't1', events: { copied: true } }, { traceId: 't1', events: { copied: true } }],
    [
      { traceId: 't1', thumb: 'up', rating: null, comment: null, events: { copied: true, escalated: null } },
      { traceId: 't1', thumb: 'up', events: { copied: true } },
    ],
  ])('accepts %j', (input, expected) => {
    expect(parseRecordFeedbackInput(input)).toEqual({ ok: true, value: expected });
    expect(recordFeedbackInputSchema.safeParse(input).success).toBe(true);
  });

  it.each([
    [{ traceId: 't1' }, 'at least one of `thumb`, `rating`, `comment` or `events` must be given'],
    [{ traceId: 't1', thumb: null, events: {} }, 'at least one of `thumb`, `rating`, `comment` or `events` must be given'],
    [{ traceId: 't1', events: { copied: null } }, 'at least one of `thumb`, `rating`, `comment` or `events` must be given'],
    [{ thumb: 'up' }, 'missing required field `traceId`'],
    [{ traceId: '', thumb: 'up' }, '`traceId` must be a string of 1 to 200 characters, got a string of 0 characters'],
    [{ traceId: 't1', rating: 0 }, '`rating` must be an integer from 1 to 5, got 0'],
    [{ traceId: 't1', rating: 6 }, '`rating` must be an integer from 1 to 5, got 6'],
    [{ traceId: 't1', rating: 4.5 }, '`rating` must be an integer from 1 to 5, got 4.5'],
    [{ traceId: 't1', thumb: 'meh' }, '`thumb` must be "up" or "down", got "meh"'],
    [{ traceId: 't1', events: { copied: 1 } }, '`events.copied` must be a boolean, got number'],
    [{ traceId: 't1', thumb: 'up', raiting: 3 }, 'unknown field `raiting` (did you mean `rating`?)'],
    [{ traceId: 't1', events: { abandon: true } }, 'unknown field `events.abandon` (did you mean `events.abandoned`?)'],
    [{ traceId: 't1', comment: 'a\u0000b' }, '`comment` contains a NUL character (\\u0000) at position 1, which Postgres cannot store'],
    [['t1'], 'the value must be a JSON object, got array'],
  ])('rejects %j', (input, reason) => {
    const r = parseRecordFeedbackInput(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });
});
