// How rows of someone else's export become judgments: a field mapping (configurable, with
// presets for common shapes), applied row by row with a clear reason for every bad row.
import { z } from 'zod';
import { compileUserPattern, type UserPattern } from '../text/user-pattern';

const RaterPattern = z.string().superRefine((value, ctx) => {
  const compiled = compileUserPattern(value);
  if (!compiled.ok) ctx.addIssue({ code: 'custom', message: compiled.reason });
});

const FieldRef = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const MappingSchema = z.strictObject({
  /** One field, or several joined with ':' (e.g. question id and turn). */
  itemId: FieldRef,
  raterId: z.string().min(1),
  /** Rater kind from a field matched against patterns, or a constant for the whole file. */
  raterKind: z.union([
    z.enum(['human', 'judge']),
    z.strictObject({ field: z.string().min(1), humanPattern: RaterPattern.optional(), judgePattern: RaterPattern.optional(), default: z.enum(['human', 'judge']).optional() }),
  ]),
  group: FieldRef.optional(),
  // Pairwise
  answerA: z.string().min(1).optional(),
  answerB: z.string().min(1).optional(),
  winner: z.strictObject({ field: z.string().min(1), A: z.array(z.string()).min(1), B: z.array(z.string()).min(1), tie: z.array(z.string()).default([]), inconsistent: z.array(z.string()).default([]) }).optional(),
  inconsistentField: z.string().min(1).optional(),
  // Pointwise
  scores: z.partialRecord(z.enum(['correctness', 'relevance', 'clarity', 'calibration', 'length']), z.string().min(1)).optional(),
  verdict: z.strictObject({ field: z.string().min(1), pass: z.array(z.string()).min(1), fail: z.array(z.string()).min(1) }).optional(),
});

export type FieldMapping = z.infer<typeof MappingSchema>;

export const PRESETS: Record<string, { pairwise?: FieldMapping; pointwise?: FieldMapping }> = {
  // lmsys/mt_bench_human_judgments rows: {judge, model_a, model_b, question_id, turn, winner}
  'mt-bench': {
    pairwise: {
      itemId: ['question_id', 'turn'],
      raterId: 'judge',
      raterKind: { field: 'judge', judgePattern: '^gpt', humanPattern: '^(expert|author)_', default: 'human' },
      group: 'turn',
      answerA: 'model_a',
      answerB: 'model_b',
      winner: { field: 'winner', A: ['model_a'], B: ['model_b'], tie: ['tie', 'tie (inconsistent)'], inconsistent: ['tie (inconsistent)'] },
    },
  },
  // The field names of this service's own documentation.
  default: {
    pairwise: {
      itemId: 'itemId',
      raterId: 'raterId',
      raterKind: { field: 'raterKind', humanPattern: '^human$', judgePattern: '^judge$' },
      group: 'group',
      answerA: 'answerA',
      answerB: 'answerB',
      winner: { field: 'winner', A: ['A', 'a'], B: ['B', 'b'], tie: ['tie'], inconsistent: [] },
      inconsistentField: 'inconsistent',
    },
    pointwise: {
      itemId: 'itemId',
      raterId: 'raterId',
      raterKind: { field: 'raterKind', humanPattern: '^human$', judgePattern: '^judge$' },
      group: 'group',
      scores: { correctness: 'correctness', relevance: 'relevance', clarity: 'clarity', calibration: 'calibration', length: 'length' },
      verdict: { field: 'verdict', pass: ['pass'], fail: ['fail'] },
    },
  },
};

export interface MappedJudgment {
  itemId: string;
  answerA: string;
  answerB: string;
  raterId: string;
  raterKind: 'human' | 'judge';
  winner: 'A' | 'B' | 'tie' | null;
  inconsistent: boolean;
  scores: Partial<Record<'correctness' | 'relevance' | 'clarity' | 'calibration' | 'length', number>>;
  verdict: 'pass' | 'fail' | null;
  group: string | null;
}

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);

function read(row: Row, ref: string | string[]): string | null {
  const parts = (Array.isArray(ref) ? ref : [ref]).map((f) => str(row[f]));
  return parts.some((p) => p === null) ? null : parts.join(':');
}

function missing(ref: string | string[]): string {
  return `missing field ${(Array.isArray(ref) ? ref : [ref]).map((f) => `\`${f}\``).join(' + ')}`;
}

/** Each mapping's rater patterns, compiled once (a file has many rows, a mapping one set of patterns). */
const compiledPatterns = new WeakMap<FieldMapping, { human: UserPattern | null; judge: UserPattern | null } | string>();

function raterPatterns(mapping: FieldMapping): { human: UserPattern | null; judge: UserPattern | null } | string {
  const cached = compiledPatterns.get(mapping);
  if (cached) return cached;
  let result: { human: UserPattern | null; judge: UserPattern | null } | string = { human: null, judge: null };
  if (typeof mapping.raterKind !== 'string') {
    const compile = (source: string | undefined, which: string) => {
      if (!source) return null;
      const compiled = compileUserPattern(source);
      if (!compiled.ok) throw `raterKind.${which}: ${compiled.reason}`;
      return compiled.pattern;
    };
    try {
      result = { human: compile(mapping.raterKind.humanPattern, 'humanPattern'), judge: compile(mapping.raterKind.judgePattern, 'judgePattern') };
    } catch (reason) {
      result = String(reason);
    }
  }
  compiledPatterns.set(mapping, result);
  return result;
}

export function mapRow(row: unknown, mapping: FieldMapping, kind: 'pairwise' | 'pointwise'): { ok: true; judgment: MappedJudgment } | { ok: false; reason: string } {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return { ok: false, reason: 'not a JSON object' };
  const r = row as Row;
  const itemId = read(r, mapping.itemId);
  if (itemId === null) return { ok: false, reason: missing(mapping.itemId) };
  const raterId = read(r, mapping.raterId);
  if (raterId === null) return { ok: false, reason: missing(mapping.raterId) };
  let raterKind: 'human' | 'judge';
  if (typeof mapping.raterKind === 'string') raterKind = mapping.raterKind;
  else {
    const patterns = raterPatterns(mapping);
    if (typeof patterns === 'string') return { ok: false, reason: patterns };
    const value = str(r[mapping.raterKind.field]) ?? '';
    if (patterns.judge?.test(value)) raterKind = 'judge';
    else if (patterns.human?.test(value)) raterKind = 'human';
    else if (mapping.raterKind.default) raterKind = mapping.raterKind.default;
    else return { ok: false, reason: `\`${mapping.raterKind.field}\` = "${value.slice(0, 40)}" is neither a human nor a judge rater` };
  }
  const group = mapping.group ? read(r, mapping.group) : null;
  const base = { itemId, raterId, raterKind, group, inconsistent: false, scores: {}, verdict: null };

  if (kind === 'pairwise') {
    if (!mapping.answerA || !mapping.answerB || !mapping.winner) return { ok: false, reason: 'the mapping has no answerA/answerB/winner for pairwise rows' };
    const a = str(r[mapping.answerA]);
    const b = str(r[mapping.answerB]);
    if (a === null) return { ok: false, reason: missing(mapping.answerA) };
    if (b === null) return { ok: false, reason: missing(mapping.answerB) };
    if (a === b) return { ok: false, reason: 'answerA and answerB are the same answer' };
    const raw = str(r[mapping.winner.field]);
    const w = raw === null ? null : mapping.winner.A.includes(raw) ? 'A' : mapping.winner.B.includes(raw) ? 'B' : mapping.winner.tie.includes(raw) ? 'tie' : null;
    if (w === null) return { ok: false, reason: `\`${mapping.winner.field}\` = "${(raw ?? '').slice(0, 40)}" is not a known winner (${[...mapping.winner.A, ...mapping.winner.B, ...mapping.winner.tie].join(', ')})` };
    const inconsistent = (raw !== null && mapping.winner.inconsistent.includes(raw)) || (mapping.inconsistentField ? r[mapping.inconsistentField] === true : false);
    // Kept in the order given (a rater may vote on both orders); agreement puts pairs in canonical order.
    return { ok: true, judgment: { ...base, answerA: a, answerB: b, winner: w, inconsistent } };
  }

  if (!mapping.scores && !mapping.verdict) return { ok: false, reason: 'the mapping has no scores or verdict for pointwise rows' };
  const scores: MappedJudgment['scores'] = {};
  for (const [dimension, field] of Object.entries(mapping.scores ?? {})) {
    const v = r[field];
    if (v === null || v === undefined || v === '') continue;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 5) return { ok: false, reason: `\`${field}\` must be a whole number from 1 to 5, got ${JSON.stringify(v).slice(0, 20)}` };
    scores[dimension as keyof MappedJudgment['scores']] = n;
  }
  let verdict: 'pass' | 'fail' | null = null;
  if (mapping.verdict) {
    const raw = str(r[mapping.verdict.field]);
    if (raw !== null) {
      verdict = mapping.verdict.pass.includes(raw) ? 'pass' : mapping.verdict.fail.includes(raw) ? 'fail' : null;
      if (verdict === null) return { ok: false, reason: `\`${mapping.verdict.field}\` = "${raw.slice(0, 40)}" is neither ${mapping.verdict.pass.join('/')} nor ${mapping.verdict.fail.join('/')}` };
    }
  }
  if (Object.keys(scores).length === 0 && verdict === null) return { ok: false, reason: 'no scores and no verdict in this row' };
  return { ok: true, judgment: { ...base, answerA: '', answerB: '', winner: null, scores, verdict } };
}
