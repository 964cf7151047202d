// Correlation reports: one per run, newest first.
import type { Db } from '../db/client';
import type { Principal } from './api-keys';
import { notFound } from './errors';
import { assertUuid, requireProject } from './projects';

/** A run's report, or the project's latest when no run is named. */
export async function getCorrelationReport(db: Db, principal: Principal, projectId: string, runId?: string | null) {
  await requireProject(db, principal, projectId, 'read');
  if (runId) {
    assertUuid(runId, 'run id');
    const row = await db.correlationReport.findUnique({ where: { runId } });
    if (!row || row.projectId !== projectId) throw notFound('correlation report of run', runId);
    return row;
  }
  return db.correlationReport.findFirst({ where: { projectId }, orderBy: { createdAt: 'desc' } });
}

export async function correlationHistory(db: Db, principal: Principal, projectId: string) {
  await requireProject(db, principal, projectId, 'read');
  // The newest 120 (ten years of monthly runs), oldest first for reading as a history.
  return (await db.correlationReport.findMany({ where: { projectId }, orderBy: { createdAt: 'desc' }, take: 120 })).reverse();
}
