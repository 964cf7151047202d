// Offline score of one release on the current eval set versions. The first step fixes the
// judge and the versions and records, per case, which answer of the release is judged (its
// production answer when the release served the case's source trace, else the answer
// supplied for it); batches judge what has no score yet; the last step builds the report.
// Every step is idempotent: scores are unique per judge version and subject.
import { ApplicationFailure } from '@temporalio/activity';
import { caseSubject, suppliedAnswerSubject } from '../core/judge/subjects';
import { buildReleaseEvaluationReport, type AnswerSource, type EvaluatedCase, type ReleaseEvaluationReport } from '../core/releases/release-evaluation-report';
import type { Db } from '../db/client';
import { resolveProjectSettings } from '../services/project-settings';
import { currentEvalSetVersions } from '../services/releases/current-versions';
import { ensureActiveJudge } from '../services/judge/judge-versions';
import { caseAsSubject, judgeSubjects, type JudgeSubjectInput } from './judging';

export interface ReleaseEvaluationPlan {
  judgeVersionId: string;
  cases: number;
  /** Cases with an answer of the release, to be judged (or already judged). */
  answered: number;
}

export interface ReleaseJudgingBatch {
  scored: number;
  failed: number;
  /** Answers still without a score of this judge after the batch. */
  remaining: number;
}

interface PendingItem {
  eval_case_id: string;
  answer_source: AnswerSource;
  subject_key: string;
}

const sliceOf = (slice: unknown, dimension: string | null) => (dimension ? ((slice as Record<string, string>)[dimension] ?? '(none)') : null);

export function createReleaseEvaluationActivities(db: Db) {
  // Items whose subject has no score of the evaluation's judge yet.
  const UNSCORED = `FROM release_evaluation_item i
         LEFT JOIN judge_score s ON s.judge_version_id = $2::uuid AND s.subject_key = i.subject_key
        WHERE i.evaluation_id = $1::uuid AND i.subject_key IS NOT NULL AND s.id IS NULL`;
  const pending = (evaluationId: string, judgeVersionId: string, limit: number) =>
    db.$queryRawUnsafe<PendingItem[]>(`SELECT i.eval_case_id, i.answer_source, i.subject_key ${UNSCORED} ORDER BY i.eval_case_id LIMIT $3`, evaluationId, judgeVersionId, limit);
  const countPending = async (evaluationId: string, judgeVersionId: string) =>
    Number((await db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n ${UNSCORED}`, evaluationId, judgeVersionId))[0]?.n ?? 0);

  return {
    async prepareReleaseEvaluation({ evaluationId }: { evaluationId: string }): Promise<ReleaseEvaluationPlan> {
      const evaluation = await db.releaseEvaluation.findUniqueOrThrow({ where: { id: evaluationId }, include: { release: true } });
      if (!evaluation.judgeVersionId) {
        // Fixed once: a retry, or a judge promoted meanwhile, measures the same thing.
        const project = await db.project.findUniqueOrThrow({ where: { id: evaluation.projectId } });
        const judge = await ensureActiveJudge(db, evaluation.projectId);
        const versions = await currentEvalSetVersions(db, evaluation.projectId);
        if (!versions.production && !versions.regression) throw ApplicationFailure.nonRetryable('the project has no production or regression set version to evaluate on', 'NothingToEvaluate');
        await db.releaseEvaluation.updateMany({
          where: { id: evaluationId, judgeVersionId: null },
          data: {
            judgeVersionId: judge.id,
            productionVersionId: versions.production?.id ?? null,
            regressionVersionId: versions.regression?.id ?? null,
            sliceDimension: resolveProjectSettings(project).sampling.sliceDimension,
          },
        });
      }
      const fixed = await db.releaseEvaluation.findUniqueOrThrow({ where: { id: evaluationId } });
      const versionIds = [fixed.productionVersionId, fixed.regressionVersionId].filter((v): v is string => v !== null);
      const rows = await db.evalSetVersionCase.findMany({
        where: { versionId: { in: versionIds } },
        select: { evalCase: { select: { id: true, slice: true, output: true, evalSet: { select: { kind: true } }, sourceTraceId: true } } },
      });
      const cases = rows.map((r) => r.evalCase);
      const [answeredInProduction, supplied] = await Promise.all([
        db.trace.findMany({ where: { id: { in: cases.flatMap((c) => (c.sourceTraceId ? [c.sourceTraceId] : [])) }, releaseId: evaluation.releaseId }, select: { id: true } }),
        db.releaseCaseAnswer.findMany({ where: { releaseId: evaluation.releaseId, evalCaseId: { in: cases.map((c) => c.id) } }, select: { evalCaseId: true, contentHash: true } }),
      ]);
      const servedTraces = new Set(answeredInProduction.map((t) => t.id));
      const suppliedHash = new Map(supplied.map((a) => [a.evalCaseId, a.contentHash]));
      const items = cases.map((c) => {
        // The release's own production answer first: it is what users saw and reviewers labelled.
        const source: AnswerSource = c.sourceTraceId && servedTraces.has(c.sourceTraceId) && c.output !== null ? 'trace' : suppliedHash.has(c.id) ? 'supplied' : 'missing';
        const subjectKey = source === 'trace' ? caseSubject(c.id) : source === 'supplied' ? suppliedAnswerSubject(evaluation.releaseId, c.id, suppliedHash.get(c.id)!) : null;
        return { evaluationId, evalCaseId: c.id, setKind: c.evalSet.kind, answerSource: source, subjectKey, sliceValue: sliceOf(c.slice, fixed.sliceDimension) };
      });
      await db.releaseEvaluationItem.createMany({ data: items, skipDuplicates: true });
      return { judgeVersionId: fixed.judgeVersionId!, cases: items.length, answered: items.filter((i) => i.subjectKey !== null).length };
    },

    /** Judges up to `limit` answers that have no score of the evaluation's judge yet. */
    async judgeReleaseEvaluationBatch({ evaluationId, limit }: { evaluationId: string; limit: number }): Promise<ReleaseJudgingBatch> {
      const evaluation = await db.releaseEvaluation.findUniqueOrThrow({ where: { id: evaluationId } });
      const judgeVersionId = evaluation.judgeVersionId!;
      const items = await pending(evaluationId, judgeVersionId, limit);
      const cases = new Map((await db.evalCase.findMany({ where: { id: { in: items.map((i) => i.eval_case_id) } } })).map((c) => [c.id, c]));
      const answers = new Map(
        (await db.releaseCaseAnswer.findMany({ where: { releaseId: evaluation.releaseId, evalCaseId: { in: items.filter((i) => i.answer_source === 'supplied').map((i) => i.eval_case_id) } } })).map((a) => [a.evalCaseId, a]),
      );
      const subjects: JudgeSubjectInput[] = [];
      for (const item of items) {
        const c = cases.get(item.eval_case_id)!;
        if (item.answer_source === 'trace') {
          subjects.push({ subjectKey: item.subject_key, evalCaseId: c.id, subject: caseAsSubject(c) });
          continue;
        }
        const answer = answers.get(c.id);
        if (!answer) {
          await db.releaseEvaluationItem.update({ where: { evaluationId_evalCaseId: { evaluationId, evalCaseId: c.id } }, data: { answerSource: 'missing', subjectKey: null } });
          continue;
        }
        // A supplied answer re-sent with new text since the first step: judge the text as it is now, and say so on the item.
        const subjectKey = suppliedAnswerSubject(evaluation.releaseId, c.id, answer.contentHash);
        if (subjectKey !== item.subject_key) await db.releaseEvaluationItem.update({ where: { evaluationId_evalCaseId: { evaluationId, evalCaseId: c.id } }, data: { subjectKey } });
        // evalCaseId stays null: this score is of the release's answer, not of the case's own output.
        subjects.push({ subjectKey, evalCaseId: null, subject: caseAsSubject(c, answer.output) });
      }
      const result = await judgeSubjects(db, judgeVersionId, subjects);
      return { scored: result.scored, failed: result.failed, remaining: await countPending(evaluationId, judgeVersionId) };
    },

    async completeReleaseEvaluation({ evaluationId }: { evaluationId: string }): Promise<ReleaseEvaluationReport> {
      const evaluation = await db.releaseEvaluation.findUniqueOrThrow({ where: { id: evaluationId } });
      if (evaluation.status === 'completed' && evaluation.report) return evaluation.report as unknown as ReleaseEvaluationReport;
      const items = await db.releaseEvaluationItem.findMany({ where: { evaluationId } });
      const scores = new Map(
        (await db.judgeScore.findMany({ where: { judgeVersionId: evaluation.judgeVersionId!, subjectKey: { in: items.flatMap((i) => (i.subjectKey ? [i.subjectKey] : [])) } } })).map((s) => [s.subjectKey, s]),
      );
      const cases: EvaluatedCase[] = items.map((item) => {
        const s = item.subjectKey ? scores.get(item.subjectKey) : undefined;
        const scored = s?.status === 'scored' && s.verdict;
        return {
          setKind: item.setKind === 'regression' ? 'regression' : 'production',
          slice: item.sliceValue,
          source: item.answerSource as AnswerSource,
          judgment: scored ? { correctness: s.correctness!, relevance: s.relevance!, clarity: s.clarity!, calibration: s.calibration!, length: s.length!, verdict: s.verdict as 'pass' | 'fail' } : null,
          judgeFailed: s?.status === 'failed',
        };
      });
      const report = buildReleaseEvaluationReport(cases);
      await db.releaseEvaluation.update({ where: { id: evaluationId }, data: { status: 'completed', report: JSON.parse(JSON.stringify(report)), finishedAt: new Date() } });
      return report;
    },

    async failReleaseEvaluation({ evaluationId, cause }: { evaluationId: string; cause: string }): Promise<void> {
      await db.releaseEvaluation.update({ where: { id: evaluationId }, data: { status: 'failed', failureCause: cause.slice(0, 2000), finishedAt: new Date() } });
    },
  };
}
