// Starting, reading and cancelling flywheel runs. The API never does the run's work:
// it writes the run row, starts or signals the workflow, and reads.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { previousMonthPeriod, type RunProgress } from '../core/runs/run-stage';
import { PERIOD_ATTRIBUTE, PROJECT_ID_ATTRIBUTE, periodLabel } from '../core/runs/search-attributes';
import type { Db } from '../db/client';
import { searchAttributesEnabled } from '../temporal/search-attributes-config';
import { cancelRunSignal, flywheelRun, progressQuery } from '../workflows';
import type { Principal } from './api-keys';
import { authorize, isVisibleTo } from './authorization';
import { ServiceError, badInput, notFound } from './errors';
import { serviceLog, type Logger } from './logging';
import { assertUuid, requireProject } from './projects';

export interface TemporalDeps {
  client: Client;
  taskQueue: string;
}

export async function startFlywheelRun(
  db: Db,
  temporal: TemporalDeps,
  principal: Principal,
  input: { projectId: string; periodStart?: string | null; periodEnd?: string | null },
  log: Logger = serviceLog(),
) {
  await requireProject(db, principal, input.projectId, 'operate');
  const period = resolvePeriod(input.periodStart, input.periodEnd, new Date());
  const runId = randomUUID();
  const workflowId = `flywheel-${input.projectId}-${period.periodStart.slice(0, 10)}-${runId.slice(0, 8)}`;
  const run = await db.flywheelRun.create({
    data: {
      id: runId,
      projectId: input.projectId,
      workflowId,
      periodStart: new Date(period.periodStart),
      periodEnd: new Date(period.periodEnd),
    },
  });
  try {
    await temporal.client.workflow.start(flywheelRun, {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [{ runId, projectId: input.projectId, ...period }],
      ...(searchAttributesEnabled()
        ? { typedSearchAttributes: [{ key: PROJECT_ID_ATTRIBUTE, value: input.projectId }, { key: PERIOD_ATTRIBUTE, value: periodLabel(period.periodStart) }] }
        : {}),
    });
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    await db.flywheelRun.update({ where: { id: runId }, data: { status: 'failed', failureCause: `could not start the workflow: ${cause}` } });
    log.error({ projectId: input.projectId, flywheelRunId: runId, workflowId, err: error }, 'flywheel run could not start');
    throw new ServiceError('UNAVAILABLE', 'the workflow service did not accept the run; it is recorded as failed', { runId });
  }
  log.info({ projectId: input.projectId, flywheelRunId: runId, workflowId, ...period }, 'flywheel run started');
  return run;
}

function resolvePeriod(start: string | null | undefined, end: string | null | undefined, now: Date) {
  if (!start && !end) return previousMonthPeriod(now);
  if (!start || !end) throw badInput('give both periodStart and periodEnd, or neither (the previous calendar month)');
  const s = new Date(start);
  const e = new Date(end);
  if (Number.isNaN(s.getTime()) || Number.isNaN(e.getTime())) throw badInput('periodStart and periodEnd must be ISO 8601 instants');
  if (s >= e) throw badInput('periodStart must be before periodEnd');
  return { periodStart: s.toISOString(), periodEnd: e.toISOString() };
}

export async function getFlywheelRun(db: Db, principal: Principal, id: string) {
  assertUuid(id, 'run id');
  const run = await db.flywheelRun.findUnique({ where: { id } });
  if (!run || !isVisibleTo(principal, run.projectId)) throw notFound('flywheel run', id);
  authorize(principal, 'read', run.projectId);
  return run;
}

/** The live progress from the workflow's query; null when the workflow is gone or unreachable. */
export async function queryRunProgress(temporal: TemporalDeps, workflowId: string): Promise<RunProgress | null> {
  try {
    return await temporal.client.workflow.getHandle(workflowId).query(progressQuery);
  } catch {
    // Finished runs may be gone from Temporal's retention; the database row remains the record.
    return null;
  }
}

export async function workflowStatus(temporal: TemporalDeps, workflowId: string): Promise<string | null> {
  try {
    const description = await temporal.client.workflow.getHandle(workflowId).describe();
    return description.status.name;
  } catch {
    return null;
  }
}

export async function cancelFlywheelRun(db: Db, temporal: TemporalDeps, principal: Principal, id: string, reason?: string | null, log: Logger = serviceLog()) {
  const run = await getFlywheelRun(db, principal, id);
  authorize(principal, 'operate', run.projectId);
  if (run.status !== 'running') throw new ServiceError('CONFLICT', `run ${id} is already ${run.status}`);
  await temporal.client.workflow.getHandle(run.workflowId).signal(cancelRunSignal, reason ?? 'cancelled through the API');
  log.info({ projectId: run.projectId, flywheelRunId: run.id, workflowId: run.workflowId, reason: reason ?? null }, 'flywheel run cancel requested');
  return run;
}
