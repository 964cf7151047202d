// Judging and agreement activities. A batch judges only what this judge version has not
// judged yet (scores are unique per version and subject), heartbeating as it goes, so a
// retried or resumed batch never scores a subject twice.
import { ApplicationFailure } from '@temporalio/activity';
import { buildJudgeAgreementReport, type JudgedCase, type JudgeAgreementReport, type Rating } from '../core/judge/agreement-report';
import { renderJudgeMessages, type FewShotExample, type JudgedSubject } from '../core/judge/judge-prompt';
import { caseSubject } from '../core/judge/subjects';
import type { JudgeProvider, JudgeSettings } from '../core/judge/judge-settings';
import type { CaseLabel } from '../core/evalsets/types';
import { flagRunForAttention } from '../services/run-attention';
import type { Db } from '../db/client';
import type { Prisma } from '../generated/prisma/client';
import { createCompleter, judgeWithRepair } from '../services/judge/judge-client';
import { ensureActiveJudge } from '../services/judge/judge-versions';
import { activityLog } from './activity-log';
import { faultPoint } from './fault-injection';
import { heartbeat } from './heartbeat';

/**
 * Score rows written in small batches: one statement per SCORE_BATCH rows (or per
 * SCORE_FLUSH_MS) instead of one per score, which was the largest CPU cost of a batch
 * after the HTTP calls themselves. A crash loses at most the unwritten rows: their cases
 * are judged again by the retried activity, never twice stored (unique per version and
 * subject, skipDuplicates).
 */
const SCORE_BATCH = Number(process.env.JUDGE_SCORE_BATCH ?? 50);
const SCORE_FLUSH_MS = 250;

function scoreWriter(db: Db) {
  let pending: Prisma.JudgeScoreCreateManyInput[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writes: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    const rows = pending;
    pending = [];
    // One write at a time, in order; the first failure is kept and fails the activity at the end.
    writes = writes.then(async () => {
      if (failure === null) {
        await db.judgeScore.createMany({ data: rows, skipDuplicates: true });
        faultPoint('judge-score-stored');
      }
    }).catch((error: unknown) => {
      failure ??= error;
    });
  };
  return {
    add(row: Prisma.JudgeScoreCreateManyInput): void {
      pending.push(row);
      if (pending.length >= SCORE_BATCH) flush();
      else timer ??= setTimeout(flush, SCORE_FLUSH_MS);
    },
    /** Writes what is left; throws the first write failure, if any. */
    async close(): Promise<void> {
      flush();
      await writes;
      if (failure !== null) throw failure;
    },
  };
}

export interface JudgeBatchResult {
  requested: number;
  /** Subjects this judge had judged before the call (an earlier attempt or batch); not judged again. */
  alreadyJudged: number;
  /** The batch's subjects with a score and with a judge failure, judged now or before. */
  scored: number;
  failed: number;
  /** Up to 10 of the failures' reasons. */
  failureReasons: string[];
  /** What this call's provider calls cost. */
  costUsd: number;
}

const MAX_FAILURE_REASONS = 10;

/** One thing to judge: its subject key (unique per judge version), the case it scores, and what the judge sees. */
export interface JudgeSubjectInput {
  subjectKey: string;
  /** Set only for a case's own output; other subjects (a release's supplied answer) leave it null. */
  evalCaseId: string | null;
  subject: JudgedSubject;
}

/** The judge's view of a case, with its own output or another answer in its place. */
export function caseAsSubject(c: { input: string; output: string | null; sessionContext: unknown; retrievedContext: unknown; expected: string | null }, answer: string = c.output ?? ''): JudgedSubject {
  return {
    input: c.input,
    output: answer,
    sessionContext: c.sessionContext as { input: string; output: string }[],
    retrievedContext: c.retrievedContext as { id: string; text: string }[],
    expected: c.expected,
  };
}

/** The judge version's SDK client; a version that cannot be configured fails the activity for good. */
export function judgeCompleter(version: { version: number; provider: string; model: string; baseUrl: string | null; temperature: number }) {
  try {
    return createCompleter({ provider: version.provider as JudgeProvider, model: version.model, baseUrl: version.baseUrl, temperature: version.temperature });
  } catch (error) {
    // A judge that cannot be configured will not start working on a retry: stop with the cause.
    throw ApplicationFailure.nonRetryable(`judge v${version.version} (${version.provider}/${version.model}) cannot be used: ${(error as Error).message}`, 'JudgeMisconfigured');
  }
}

/** Judges the subjects this judge version has not judged yet; each stored once (unique per version and subject). */
export async function judgeSubjects(db: Db, judgeVersionId: string, subjects: readonly JudgeSubjectInput[]): Promise<JudgeBatchResult> {
  const version = await db.judgePromptVersion.findUniqueOrThrow({ where: { id: judgeVersionId } });
  const earlier = await db.judgeScore.findMany({ where: { judgeVersionId, subjectKey: { in: subjects.map((s) => s.subjectKey) } }, select: { subjectKey: true, status: true, failureReason: true } });
  const existing = new Set(earlier.map((s) => s.subjectKey));
  const todo = subjects.filter((s) => !existing.has(s.subjectKey));
  // A resumed batch reports what its earlier attempt judged as it was: a failure stays a failure.
  const earlierFailures = earlier.filter((s) => s.status === 'failed');
  const result: JudgeBatchResult = {
    requested: subjects.length,
    alreadyJudged: existing.size,
    scored: existing.size - earlierFailures.length,
    failed: earlierFailures.length,
    failureReasons: earlierFailures.slice(0, MAX_FAILURE_REASONS).map((s) => s.failureReason ?? 'unknown'),
    costUsd: 0,
  };
  if (todo.length === 0) return result;
  const complete = judgeCompleter(version);
  const spec = { rubric: version.rubric, fewShot: version.fewShot as unknown as FewShotExample[] };
  const scores = scoreWriter(db);
  try {
    await Promise.all(
      todo.map(async (s) => {
        const call = await judgeWithRepair(complete, version.model, renderJudgeMessages(spec, s.subject));
        scores.add({
          judgeVersionId,
          subjectKey: s.subjectKey,
          evalCaseId: s.evalCaseId,
          status: call.ok ? 'scored' : 'failed',
          ...(call.ok ? { ...call.judgment.scores, verdict: call.judgment.verdict, rationale: call.judgment.rationale.slice(0, 5000) } : { failureReason: call.reason }),
          attempts: call.attempts,
          latencyMs: Math.round(call.latencyMs),
          inputTokens: call.inputTokens,
          outputTokens: call.outputTokens,
          costUsd: call.costUsd,
        });
        if (call.ok) result.scored += 1;
        else {
          result.failed += 1;
          if (result.failureReasons.length < MAX_FAILURE_REASONS) result.failureReasons.push(call.reason);
        }
        result.costUsd += call.costUsd ?? 0;
        heartbeat({ done: result.scored + result.failed, of: subjects.length });
      }),
    );
  } finally {
    await scores.close();
  }
  activityLog()[result.failed ? 'warn' : 'info']('judged', { judgeVersionId, provider: version.provider, model: version.model, requested: result.requested, alreadyJudged: result.alreadyJudged, scored: result.scored, failed: result.failed, firstFailures: result.failureReasons.slice(0, 3), costUsd: result.costUsd });
  return result;
}

export async function judgeCasesWith(db: Db, judgeVersionId: string, caseIds: readonly string[]): Promise<JudgeBatchResult> {
  const judged = await db.judgeScore.findMany({ where: { judgeVersionId, subjectKey: { in: caseIds.map(caseSubject) } }, select: { subjectKey: true } });
  const done = new Set(judged.map((s) => s.subjectKey));
  // Only the cases still to judge are loaded: a resumed batch does not read the whole set again.
  // judgeSubjects counts the earlier scores and failures itself, from the subjects given.
  const cases = await db.evalCase.findMany({ where: { id: { in: caseIds.filter((id) => !done.has(caseSubject(id))) } } });
  const byId = new Map(cases.map((c) => [c.id, c]));
  const subjects: JudgeSubjectInput[] = [];
  for (const id of caseIds) {
    const c = byId.get(id);
    // An already judged case needs no content (judgeSubjects only counts it); an id that is no case is left out.
    if (c) subjects.push({ subjectKey: caseSubject(id), evalCaseId: id, subject: caseAsSubject(c) });
    else if (done.has(caseSubject(id))) subjects.push({ subjectKey: caseSubject(id), evalCaseId: id, subject: { input: '', output: '', sessionContext: [], retrievedContext: [], expected: null } });
  }
  return { ...(await judgeSubjects(db, judgeVersionId, subjects)), requested: caseIds.length };
}

const DIMS = ['correctness', 'relevance', 'clarity', 'calibration', 'length'] as const;

/** Loads cases with their human labels and this judge's scores, in the shape the report needs. */
export async function loadJudgedCases(db: Db, judgeVersionId: string, caseIds: readonly string[], sliceDimension: string | null): Promise<JudgedCase[]> {
  const [cases, scores] = await Promise.all([
    db.evalCase.findMany({ where: { id: { in: [...caseIds] } }, orderBy: { caseKey: 'asc' } }),
    db.judgeScore.findMany({ where: { judgeVersionId, evalCaseId: { in: [...caseIds] } } }),
  ]);
  const scoreByCase = new Map(scores.map((s) => [s.evalCaseId, s]));
  return cases.map((c) => {
    const s = scoreByCase.get(c.id);
    const judge: Rating | null =
      s && s.status === 'scored' && s.verdict ? { scores: Object.fromEntries(DIMS.map((d) => [d, s[d]!])) as Rating['scores'], verdict: s.verdict as Rating['verdict'] } : null;
    const labels = c.labels as unknown as CaseLabel[];
    return {
      caseId: c.id,
      slice: sliceDimension ? ((c.slice as Record<string, string>)[sliceDimension] ?? null) : null,
      answerLength: (c.output ?? '').length,
      humans: labels.map((l) => ({ scores: l.scores, verdict: l.verdict })),
      judge,
    };
  });
}

export function createJudgingActivities(db: Db) {
  return {
    async ensureActiveJudgeVersion({ projectId }: { projectId: string }): Promise<{ id: string; version: number; provider: string; model: string }> {
      const active = await ensureActiveJudge(db, projectId);
      return { id: active.id, version: active.version, provider: active.provider, model: active.model };
    },

    /** The cases a run added to the production set (they carry this run's labels). */
    async casesOfRun({ runId, projectId }: { runId: string; projectId: string }): Promise<string[]> {
      const rows = await db.evalCase.findMany({ where: { sourceRunId: runId, evalSet: { projectId, kind: 'production' } }, select: { id: true }, orderBy: { caseKey: 'asc' } });
      return rows.map((r) => r.id);
    },

    judgeEvalCases({ judgeVersionId, caseIds }: { judgeVersionId: string; caseIds: string[] }): Promise<JudgeBatchResult> {
      return judgeCasesWith(db, judgeVersionId, caseIds);
    },

    async computeJudgeAgreement(input: {
      projectId: string;
      runId: string | null;
      judgeVersionId: string;
      caseIds: string[];
      scope: 'run' | 'validation';
      settings: JudgeSettings;
      sliceDimension: string | null;
    }): Promise<{ reportId: string; primary: JudgeAgreementReport['primary']; judged: number; judgeFailures: number }> {
      const cases = await loadJudgedCases(db, input.judgeVersionId, input.caseIds, input.sliceDimension);
      const report = buildJudgeAgreementReport(cases, { seed: `${input.runId ?? 'manual'}:${input.judgeVersionId}:${input.scope}`, metric: input.settings.primaryMetric, threshold: input.settings.agreementThreshold });
      const data = {
        projectId: input.projectId,
        runId: input.runId,
        judgeVersionId: input.judgeVersionId,
        scope: input.scope,
        primaryMetric: report.primary.metric,
        primaryValue: report.primary.value,
        threshold: report.primary.threshold,
        belowThreshold: report.primary.below,
        report: JSON.parse(JSON.stringify(report)),
      };
      const row = input.runId
        ? await db.agreementReport.upsert({ where: { runId_judgeVersionId_scope: { runId: input.runId, judgeVersionId: input.judgeVersionId, scope: input.scope } }, update: data, create: data })
        : await db.agreementReport.create({ data });
      if (input.runId && report.judged === 0 && report.judgeFailures > 0) {
        const first = await db.judgeScore.findFirst({ where: { judgeVersionId: input.judgeVersionId, evalCaseId: { in: input.caseIds }, status: 'failed' }, select: { failureReason: true } });
        await flagRunForAttention(db, input.runId, `the judge failed on all ${report.judgeFailures} cases; first cause: ${first?.failureReason ?? 'unknown'}`);
      }
      return { reportId: row.id, primary: report.primary, judged: report.judged, judgeFailures: report.judgeFailures };
    },
  };
}
