// Shadow evaluations of a candidate: start one (a workflow judges every pair in both
// orders), read it back. Only figures leave the service, never the candidate's answers.
import { randomUUID } from 'node:crypto';
import type { EvaluationProgress } from '../../core/releases/evaluation-progress';
import type { ShadowReport } from '../../core/shadow/shadow-report';
import type { Db } from '../../db/client';
import { shadowEvaluation, shadowEvaluationProgressQuery } from '../../workflows';
import type { Principal } from '../api-keys';
import { ServiceError, badInput } from '../errors';
import type { TemporalDeps } from '../flywheel-runs';
import { assertUuid, requireProject } from '../projects';
import { findRelease } from './release-lookup';

type ShadowEvaluationRow = NonNullable<Awaited<ReturnType<Db['shadowEvaluation']['findUnique']>>>;

function presentShadowEvaluation(row: ShadowEvaluationRow, candidate: string) {
  const report = row.report as unknown as ShadowReport | null;
  return {
    ...row,
    candidate,
    judgedPairs: report?.judged ?? null,
    incompletePairs: report?.incomplete ?? null,
    overall: report?.overall ?? null,
    bySlice: report?.bySlice ?? null,
    byProductionRelease: report?.byProductionRelease ?? null,
    positionBias: report?.positionBias ?? null,
  };
}

export async function startShadowEvaluation(db: Db, temporal: TemporalDeps, principal: Principal, input: { projectId: string; candidate: string }) {
  await requireProject(db, principal, input.projectId, 'operate');
  const release = await findRelease(db, input.projectId, input.candidate);
  if ((await db.shadowAnswer.count({ where: { releaseId: release.id } })) === 0) {
    throw badInput(`candidate ${release.name} has no shadow answers; send {traceId, output} with supplyShadowAnswers or POST /v1/releases/shadow-answers`);
  }
  const id = randomUUID();
  const workflowId = `shadow-evaluation-${id}`;
  const row = await db.shadowEvaluation.create({ data: { id, projectId: input.projectId, releaseId: release.id, workflowId } });
  try {
    await temporal.client.workflow.start(shadowEvaluation, { taskQueue: temporal.taskQueue, workflowId, args: [{ evaluationId: id }] });
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    await db.shadowEvaluation.update({ where: { id }, data: { status: 'failed', failureCause: `could not start the workflow: ${cause}`, finishedAt: new Date() } });
    throw new ServiceError('UNAVAILABLE', 'the workflow service did not accept the evaluation; it is recorded as failed', { evaluationId: id });
  }
  return presentShadowEvaluation(row, release.name);
}

export async function getShadowEvaluation(db: Db, principal: Principal, input: { projectId: string; candidate: string; id?: string | null }) {
  await requireProject(db, principal, input.projectId, 'read');
  if (input.id) assertUuid(input.id, 'evaluation id');
  const release = await findRelease(db, input.projectId, input.candidate);
  const row = input.id
    ? await db.shadowEvaluation.findFirst({ where: { id: input.id, releaseId: release.id } })
    : await db.shadowEvaluation.findFirst({ where: { releaseId: release.id }, orderBy: { createdAt: 'desc' } });
  if (input.id && !row) throw new ServiceError('NOT_FOUND', `shadow evaluation ${input.id} of candidate ${release.name} not found`);
  return row ? presentShadowEvaluation(row, release.name) : null;
}

export async function shadowEvaluationProgress(temporal: TemporalDeps, workflowId: string): Promise<EvaluationProgress | null> {
  try {
    return await temporal.client.workflow.getHandle(workflowId).query(shadowEvaluationProgressQuery);
  } catch {
    return null;
  }
}
