// Builders for eval-set tests: a full, valid object with overrides.
import type { CaseLabel, EvalCaseContent, ExportCase, LabelledItem } from '../../../core/evalsets/types';

export function label(overrides: Partial<CaseLabel> = {}): CaseLabel {
  return {
    reviewerId: 'rev-a',
    scores: { correctness: 4, relevance: 4, clarity: 4, calibration: 4, length: 4 },
    verdict: 'pass',
    failureCategory: null,
    expected: null,
    notes: null,
    ...overrides,
  };
}

export function item(overrides: Partial<LabelledItem> = {}): LabelledItem {
  return {
    traceId: 'db-trace-1',
    externalId: 'ext-1',
    input: 'How do I reset my password?',
    output: 'Go to Settings → Security → Reset password.',
    sessionContext: [{ input: 'hi', output: 'Hello! How can I help?' }],
    retrievedContext: [{ id: 'kb-12', text: 'Passwords are reset from Settings → Security.' }],
    slice: { intent: 'account', locale: 'en' },
    runId: 'run-1',
    labels: [label()],
    ...overrides,
  };
}

export function evalCase(overrides: Partial<EvalCaseContent> = {}): EvalCaseContent {
  return {
    caseKey: 'trace:ext-1',
    input: 'How do I reset my password?',
    sessionContext: [],
    retrievedContext: [],
    output: 'Go to Settings → Security → Reset password.',
    expected: null,
    labels: [label()],
    verdict: 'pass',
    failureCategory: null,
    slice: {},
    needsAdjudication: false,
    sourceTraceId: 'db-trace-1',
    sourceRunId: 'run-1',
    ...overrides,
  };
}

export function exportCase(overrides: Partial<ExportCase> = {}): ExportCase {
  return { id: 'case-row-1', contentHash: 'h'.repeat(64), ...evalCase(), ...overrides };
}
