// Judging and agreement activities. A batch judges only what this judge version has not
// judged yet (scores are unique per version and subject), heartbeating as it goes, so a
// retried or resumed batch never scores a subject twice.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { buildJudgeAgreementReport, type JudgedCase, type JudgeAgreementReport, type Rating } from '../core/judge/agreement-report';
import { renderJudgeMessages, type FewShotExample } from '../core/judge/judge-prompt';
import type { JudgeProvider, JudgeSettings } from '../core/judge/judge-settings';
import type { CaseLabel } from '../core/evalsets/types';
import type { Db } from '../db/client';
import { createCompleter, judgeWithRepair } from '../services/judge/judge-client';
import { ensureActiveJudge } from '../services/judge/judge-versions';
import { faultPoint } from './fault-injection';

export const caseSubject = (caseId: string) => `case:${caseId}`;

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Called outside an activity (tests, scripts): nothing to report to.
  }
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

export async function judgeCasesWith(db: Db, judgeVersionId: string, caseIds: readonly string[]): Promise<JudgeBatchResult> {
  const version = await db.judgePromptVersion.findUniqueOrThrow({ where: { id: judgeVersionId } });
  const earlier = await db.judgeScore.findMany({ where: { judgeVersionId, subjectKey: { in: caseIds.map(caseSubject) } }, select: { subjectKey: true, status: true, failureReason: true } });
  const existing = new Set(earlier.map((s) => s.subjectKey));
  const todo = caseIds.filter((id) => !existing.has(caseSubject(id)));
  const cases = await db.evalCase.findMany({ where: { id: { in: todo } } });
  let complete: ReturnType<typeof createCompleter>;
  try {
    complete = createCompleter({ provider: version.provider as JudgeProvider, model: version.model, baseUrl: version.baseUrl, temperature: version.temperature });
  } catch (error) {
    // A judge that cannot be configured will not start working on a retry: stop with the cause.
    throw ApplicationFailure.nonRetryable(`judge v${version.version} (${version.provider}/${version.model}) cannot be used: ${(error as Error).message}`, 'JudgeMisconfigured');
  }
  const spec = { rubric: version.rubric, fewShot: version.fewShot as unknown as FewShotExample[] };
  // A resumed batch reports what its earlier attempt judged as it was: a failure stays a failure.
  const earlierFailures = earlier.filter((s) => s.status === 'failed');
  const result: JudgeBatchResult = {
    requested: caseIds.length,
    alreadyJudged: existing.size,
    scored: existing.size - earlierFailures.length,
    failed: earlierFailures.length,
    failureReasons: earlierFailures.slice(0, MAX_FAILURE_REASONS).map((s) => s.failureReason ?? 'unknown'),
    costUsd: 0,
  };
  await Promise.all(
    cases.map(async (c) => {
      const messages = renderJudgeMessages(spec, {
        input: c.input,
        output: c.output ?? '',
        sessionContext: c.sessionContext as unknown as { input: string; output: string }[],
        retrievedContext: c.retrievedContext as unknown as { id: string; text: string }[],
        expected: c.expected,
      });
      const call = await judgeWithRepair(complete, version.model, messages);
      await db.judgeScore.createMany({
        data: [
          {
            judgeVersionId,
            subjectKey: caseSubject(c.id),
            evalCaseId: c.id,
            status: call.ok ? 'scored' : 'failed',
            ...(call.ok ? { ...call.judgment.scores, verdict: call.judgment.verdict, rationale: call.judgment.rationale.slice(0, 5000) } : { failureReason: call.reason }),
            attempts: call.attempts,
            latencyMs: Math.round(call.latencyMs),
            inputTokens: call.inputTokens,
            outputTokens: call.outputTokens,
            costUsd: call.costUsd,
          },
        ],
        skipDuplicates: true,
      });
      faultPoint('judge-score-stored');
      if (call.ok) result.scored += 1;
      else {
        result.failed += 1;
        if (result.failureReasons.length < MAX_FAILURE_REASONS) result.failureReasons.push(call.reason);
      }
      result.costUsd += call.costUsd ?? 0;
      heartbeat({ done: result.scored + result.failed, of: caseIds.length });
    }),
  );
  return result;
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
        await db.flywheelRun.update({ where: { id: input.runId }, data: { needsAttention: `the judge failed on all ${report.judgeFailures} cases; first cause: ${first?.failureReason ?? 'unknown'}` } });
      }
      return { reportId: row.id, primary: report.primary, judged: report.judged, judgeFailures: report.judgeFailures };
    },
  };
}
