// Input of `recordFeedback`: explicit feedback and UI events arriving after the trace
// itself (users click thumbs minutes later). Same field rules as on a trace line.
import { z } from 'zod';
import {
  MAX_TRACE_ID_CHARS,
  describeSchemaIssues,
  eventsSchema,
  feedbackSchema,
  findStringProblems,
  type Thumb,
  type TraceEvents,
  type TraceIssue,
} from './trace-schema';

const E_TRACE_ID = `a string of 1 to ${MAX_TRACE_ID_CHARS} characters`;
const AT_LEAST_ONE = 'at least one of `thumb`, `rating`, `comment` or `events` must be given';

const hasValue = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * `{ traceId, thumb?, rating?, comment?, events? }`; null means absent (GraphQL sends
 * explicit nulls). An `events` object only counts as present if one event is set.
 */
const recordFeedbackShape = z.strictObject(
  {
    traceId: z.string({ error: E_TRACE_ID }).min(1, { error: E_TRACE_ID }).max(MAX_TRACE_ID_CHARS, { error: E_TRACE_ID }),
    thumb: feedbackSchema.shape.thumb,
    rating: feedbackSchema.shape.rating,
    comment: feedbackSchema.shape.comment,
    events: eventsSchema.nullish(),
  },
  { error: 'a JSON object' },
);

const KNOWN_KEYS = { '': Object.keys(recordFeedbackShape.shape), events: Object.keys(eventsSchema.shape) };

export const recordFeedbackInputSchema = recordFeedbackShape.superRefine((v, ctx) => {
  const anyEvent = v.events != null && Object.values(v.events).some(hasValue);
  if (!hasValue(v.thumb) && !hasValue(v.rating) && !hasValue(v.comment) && !anyEvent) {
    ctx.addIssue({ code: 'custom', message: AT_LEAST_ONE, params: { whole: true } });
  }
});

/** Validated `recordFeedback` input with nulls dropped. */
export interface RecordFeedbackInput {
  traceId: string;
  thumb?: Thumb;
  rating?: number;
  comment?: string;
  events?: Partial<TraceEvents>;
}

export type RecordFeedbackResult =
  | { ok: true; value: RecordFeedbackInput }
  | { ok: false; reason: string; issues: TraceIssue[] };

/** Validates `recordFeedback` input. Never throws. */
export function parseRecordFeedbackInput(input: unknown): RecordFeedbackResult {
  const issues: TraceIssue[] = findStringProblems(input);
  const parsed = recordFeedbackInputSchema.safeParse(input);
  if (!parsed.success) {
    // The cross-field rule is not about one field, so it gets its own plain message —
    // and only when nothing else is wrong (zod runs it even on a broken `events`).
    const isWhole = (i: { code: string; params?: Record<string, unknown> }) =>
      i.code === 'custom' && i.params?.['whole'] === true;
    const fieldIssues = parsed.error.issues.filter((i) => !isWhole(i));
    issues.push(...describeSchemaIssues(fieldIssues, input, KNOWN_KEYS));
    if (issues.length === 0) issues.push({ code: 'missing_field', path: '', message: AT_LEAST_ONE });
  }
  if (!parsed.success || issues.length > 0) {
    return { ok: false, reason: issues.map((i) => i.message).join('; '), issues };
  }
  const d = parsed.data;
  const value: RecordFeedbackInput = { traceId: d.traceId };
  if (d.thumb != null) value.thumb = d.thumb;
  if (d.rating != null) value.rating = d.rating;
  if (d.comment != null) value.comment = d.comment;
  if (d.events != null) {
    const events: Partial<TraceEvents> = {};
    for (const key of ['regenerated', 'copied', 'escalated', 'abandoned'] as const) {
      const e = d.events[key];
      if (e != null) events[key] = e;
    }
    if (Object.keys(events).length > 0) value.events = events;
  }
  return { ok: true, value };
}
