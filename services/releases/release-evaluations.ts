// Offline scores of a release: start one (a workflow does the judging), read it back.
import { randomUUID } from 'node:crypto';
import type { EvaluationProgress } from '../../core/releases/evaluation-progress';
import type { ReleaseEvaluationReport } from '../../core/releases/release-evaluation-report';
import type { Db } from '../../db/client';
import { releaseEvaluation, releaseEvaluationProgressQuery } from '../../workflows';
import type { Principal } from '../api-keys';
import { ServiceError } from '../errors';
import type { TemporalDeps } from '../flywheel-runs';
import { assertUuid, requireProject } from '../projects';
import { currentEvalSetVersions } from './current-versions';
import { findRelease } from './release-lookup';

type ReleaseEvaluationRow = NonNullable<Awaited<ReturnType<Db['releaseEvaluation']['findUnique']>>>;

/** The row as the API shows it: the release by name and the report's two sets as fields. */
function presentReleaseEvaluation(row: ReleaseEvaluationRow, release: string) {
  const report = row.report as unknown as ReleaseEvaluationReport | null;
  return {
    ...row,
    release,
    production: report ? { ...report.production, evalSetVersionId: row.productionVersionId } : null,
    regression: report ? { ...report.regression, evalSetVersionId: row.regressionVersionId } : null,
  };
}

export async function evaluateRelease(db: Db, temporal: TemporalDeps, principal: Principal, input: { projectId: string; release: string }) {
  await requireProject(db, principal, input.projectId, 'operate');
  const release = await findRelease(db, input.projectId, input.release);
  const versions = await currentEvalSetVersions(db, input.projectId);
  if (!versions.production && !versions.regression) throw new ServiceError('CONFLICT', 'the project has no production or regression set version yet; a run makes them from labelled traces');
  const id = randomUUID();
  const workflowId = `release-evaluation-${id}`;
  const row = await db.releaseEvaluation.create({ data: { id, projectId: input.projectId, releaseId: release.id, workflowId } });
  try {
    await temporal.client.workflow.start(releaseEvaluation, { taskQueue: temporal.taskQueue, workflowId, args: [{ evaluationId: id }] });
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    await db.releaseEvaluation.update({ where: { id }, data: { status: 'failed', failureCause: `could not start the workflow: ${cause}`, finishedAt: new Date() } });
    throw new ServiceError('UNAVAILABLE', 'the workflow service did not accept the evaluation; it is recorded as failed', { evaluationId: id });
  }
  return presentReleaseEvaluation(row, release.name);
}

/** One evaluation by id, or the release's latest; null when the release has none. */
export async function getReleaseEvaluation(db: Db, principal: Principal, input: { projectId: string; release: string; id?: string | null }) {
  await requireProject(db, principal, input.projectId, 'read');
  if (input.id) assertUuid(input.id, 'evaluation id');
  const release = await findRelease(db, input.projectId, input.release);
  const row = input.id
    ? await db.releaseEvaluation.findFirst({ where: { id: input.id, releaseId: release.id } })
    : await db.releaseEvaluation.findFirst({ where: { releaseId: release.id }, orderBy: { createdAt: 'desc' } });
  if (input.id && !row) throw new ServiceError('NOT_FOUND', `evaluation ${input.id} of release ${release.name} not found`);
  return row ? presentReleaseEvaluation(row, release.name) : null;
}

/** Live progress from the workflow; null once it is gone or unreachable (the row is the record). */
export async function releaseEvaluationProgress(temporal: TemporalDeps, workflowId: string): Promise<EvaluationProgress | null> {
  try {
    return await temporal.client.workflow.getHandle(workflowId).query(releaseEvaluationProgressQuery);
  } catch {
    return null;
  }
}
