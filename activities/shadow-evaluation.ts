// Shadow evaluation of a candidate release: its answers to real production inputs against
// the production answers of the same traces, by a pairwise judge in both orders. The first
// step fixes the judge and creates one pending comparison per trace and order (unique, so
// a retry adds none); batches judge pending comparisons, each exactly once; the last step
// reconciles the orders and builds the report.
import { renderPairwiseMessages } from '../core/judge/pairwise-prompt';
import type { PositionalVerdict } from '../core/judge/parse-pairwise-verdict';
import { answerContentHash } from '../core/releases/answer-lines';
import type { CandidatePosition } from '../core/shadow/both-orders';
import { buildShadowReport, type ShadowPairInput, type ShadowReport } from '../core/shadow/shadow-report';
import type { Db } from '../db/client';
import { compareWithRepair } from '../services/judge/judge-client';
import { ensureActiveJudge } from '../services/judge/judge-versions';
import { resolveProjectSettings } from '../services/project-settings';
import { heartbeat } from './heartbeat';
import { judgeCompleter } from './judging';

export interface ShadowEvaluationPlan {
  judgeVersionId: string;
  pairs: number;
}

export interface ShadowJudgingBatch {
  judged: number;
  failed: number;
  /** Comparisons still pending after the batch. */
  remaining: number;
}

export function createShadowEvaluationActivities(db: Db) {
  return {
    async prepareShadowEvaluation({ evaluationId }: { evaluationId: string }): Promise<ShadowEvaluationPlan> {
      const evaluation = await db.shadowEvaluation.findUniqueOrThrow({ where: { id: evaluationId } });
      if (!evaluation.judgeVersionId) {
        const project = await db.project.findUniqueOrThrow({ where: { id: evaluation.projectId } });
        const judge = await ensureActiveJudge(db, evaluation.projectId);
        await db.shadowEvaluation.updateMany({
          where: { id: evaluationId, judgeVersionId: null },
          data: { judgeVersionId: judge.id, sliceDimension: resolveProjectSettings(project).sampling.sliceDimension },
        });
      }
      const fixed = await db.shadowEvaluation.findUniqueOrThrow({ where: { id: evaluationId } });
      if (fixed.pairCount === null) {
        // Both orders of every pair, with the answers' hashes as they are now.
        await db.$executeRawUnsafe(
          `INSERT INTO shadow_comparison (id, evaluation_id, trace_id, candidate_position, candidate_hash, production_hash)
           SELECT gen_random_uuid(), $1::uuid, a.trace_id, p.position, a.content_hash, encode(sha256(convert_to(t.output, 'UTF8')), 'hex')
             FROM shadow_answer a
             JOIN trace t ON t.id = a.trace_id
            CROSS JOIN (VALUES ('A'), ('B')) AS p(position)
            WHERE a.release_id = $2::uuid
           ON CONFLICT (evaluation_id, trace_id, candidate_position) DO NOTHING`,
          evaluationId,
          fixed.releaseId,
        );
        const pairs = await db.shadowComparison.groupBy({ by: ['traceId'], where: { evaluationId } });
        await db.shadowEvaluation.update({ where: { id: evaluationId }, data: { pairCount: pairs.length } });
      }
      const done = await db.shadowEvaluation.findUniqueOrThrow({ where: { id: evaluationId } });
      return { judgeVersionId: done.judgeVersionId!, pairs: done.pairCount! };
    },

    /** Judges up to `limit` pending comparisons; each ends judged or failed, never judged twice. */
    async judgeShadowBatch({ evaluationId, limit }: { evaluationId: string; limit: number }): Promise<ShadowJudgingBatch> {
      const evaluation = await db.shadowEvaluation.findUniqueOrThrow({ where: { id: evaluationId } });
      const version = await db.judgePromptVersion.findUniqueOrThrow({ where: { id: evaluation.judgeVersionId! } });
      const comparisons = await db.shadowComparison.findMany({
        where: { evaluationId, status: 'pending' },
        orderBy: [{ traceId: 'asc' }, { candidatePosition: 'asc' }],
        take: limit,
        include: { trace: { select: { id: true, projectId: true, sessionId: true, timestamp: true, input: true, output: true, context: true } } },
      });
      const result: ShadowJudgingBatch = { judged: 0, failed: 0, remaining: 0 };
      if (comparisons.length > 0) {
        // The pairwise judge is the active judge's endpoint (provider, model) with the pairwise prompt.
        const complete = judgeCompleter(version);
        const traceIds = [...new Set(comparisons.map((c) => c.traceId))];
        const candidates = new Map(
          (await db.shadowAnswer.findMany({ where: { releaseId: evaluation.releaseId, traceId: { in: traceIds } } })).map((a) => [a.traceId, a]),
        );
        const sessions = new Map<string, { input: string; output: string }[]>();
        for (const { trace } of comparisons) {
          if (sessions.has(trace.id)) continue;
          sessions.set(
            trace.id,
            await db.trace.findMany({
              where: { projectId: trace.projectId, sessionId: trace.sessionId, timestamp: { lt: trace.timestamp }, id: { not: trace.id } },
              orderBy: [{ turn: 'asc' }, { timestamp: 'asc' }],
              select: { input: true, output: true },
              take: 20,
            }),
          );
        }
        const finish = async (id: string, data: Parameters<typeof db.shadowComparison.updateMany>[0]['data']) => {
          // Only a pending comparison is written: a retried batch cannot judge one twice.
          await db.shadowComparison.updateMany({ where: { id, status: 'pending' }, data: { ...data, judgedAt: new Date() } });
        };
        await Promise.all(
          comparisons.map(async (c) => {
            const candidate = candidates.get(c.traceId);
            const changed =
              !candidate || candidate.contentHash !== c.candidateHash
                ? "the candidate's answer changed after the evaluation started; start a new evaluation"
                : answerContentHash(c.trace.output) !== c.productionHash
                  ? 'the production answer of this trace changed after the evaluation started; start a new evaluation'
                  : null;
            if (changed || !candidate) {
              await finish(c.id, { status: 'failed', failureReason: changed });
              result.failed += 1;
              return;
            }
            const position = c.candidatePosition as CandidatePosition;
            const messages = renderPairwiseMessages({
              input: c.trace.input,
              sessionContext: sessions.get(c.traceId) ?? [],
              retrievedContext: c.trace.context as { id: string; text: string }[],
              answerA: position === 'A' ? candidate.output : c.trace.output,
              answerB: position === 'A' ? c.trace.output : candidate.output,
            });
            const call = await compareWithRepair(complete, version.model, messages);
            const usage = { attempts: call.attempts, latencyMs: Math.round(call.latencyMs), inputTokens: call.inputTokens, outputTokens: call.outputTokens, costUsd: call.costUsd };
            if (call.ok) {
              await finish(c.id, { status: 'judged', winner: call.value.winner, rationale: call.value.rationale.slice(0, 5000), ...usage });
              result.judged += 1;
            } else {
              await finish(c.id, { status: 'failed', failureReason: call.reason, ...usage });
              result.failed += 1;
            }
            heartbeat({ done: result.judged + result.failed, of: comparisons.length });
          }),
        );
      }
      result.remaining = await db.shadowComparison.count({ where: { evaluationId, status: 'pending' } });
      return result;
    },

    async completeShadowEvaluation({ evaluationId }: { evaluationId: string }): Promise<ShadowReport> {
      const evaluation = await db.shadowEvaluation.findUniqueOrThrow({ where: { id: evaluationId } });
      if (evaluation.status === 'completed' && evaluation.report) return evaluation.report as unknown as ShadowReport;
      const comparisons = await db.shadowComparison.findMany({
        where: { evaluationId },
        select: { traceId: true, candidatePosition: true, status: true, winner: true, trace: { select: { slice: true, release: { select: { name: true } } } } },
      });
      const byTrace = new Map<string, ShadowPairInput>();
      for (const c of comparisons) {
        const pair = byTrace.get(c.traceId) ?? {
          slice: evaluation.sliceDimension ? ((c.trace.slice as Record<string, string>)[evaluation.sliceDimension] ?? '(none)') : null,
          productionRelease: c.trace.release?.name ?? null,
          candidateFirst: null,
          productionFirst: null,
        };
        const verdict = c.status === 'judged' ? (c.winner as PositionalVerdict) : null;
        if (c.candidatePosition === 'A') pair.candidateFirst = verdict;
        else pair.productionFirst = verdict;
        byTrace.set(c.traceId, pair);
      }
      const report = buildShadowReport([...byTrace.values()]);
      await db.shadowEvaluation.update({ where: { id: evaluationId }, data: { status: 'completed', report: JSON.parse(JSON.stringify(report)), finishedAt: new Date() } });
      return report;
    },

    async failShadowEvaluation({ evaluationId, cause }: { evaluationId: string; cause: string }): Promise<void> {
      await db.shadowEvaluation.update({ where: { id: evaluationId }, data: { status: 'failed', failureCause: cause.slice(0, 2000), finishedAt: new Date() } });
    },
  };
}
