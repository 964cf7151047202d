import DataLoader from 'dataloader';
import type { Db } from '../db/client';
import type { Principal } from '../services/api-keys';
import type { Logger } from '../services/logging';
import type { TemporalDeps } from '../services/flywheel-runs';

export interface ApiDeps {
  db: Db;
  temporal: TemporalDeps;
}

export interface ApiContext extends ApiDeps {
  principal: Principal;
  /** This request's logger: request id, key id, role and the key's project. */
  log: Logger;
  loaders: ReturnType<typeof createLoaders>;
}

/** One set per request, so a list that resolves a relation costs one query, not one per row. */
export function createLoaders(db: Db) {
  return {
    projectById: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.project.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? new Error(`project ${id} not found`));
    }),
    evalSetById: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.evalSet.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? new Error(`eval set ${id} not found`));
    }),
    judgeVersionById: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.judgePromptVersion.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? new Error(`judge version ${id} not found`));
    }),
    agreementReportsByJudgeVersion: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.agreementReport.findMany({ where: { judgeVersionId: { in: [...ids] } }, orderBy: { createdAt: 'asc' } });
      return ids.map((id) => rows.filter((row) => row.judgeVersionId === id));
    }),
    traceById: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.trace.findMany({ where: { id: { in: [...ids] } }, include: { release: { select: { name: true } } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? new Error(`trace ${id} not found`));
    }),
    sampleItemById: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.sampleItem.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? new Error(`sample item ${id} not found`));
    }),
    labelByTaskId: new DataLoader(async (taskIds: readonly string[]) => {
      const rows = await db.label.findMany({ where: { taskId: { in: [...taskIds] } } });
      const byTask = new Map(rows.map((row) => [row.taskId, row]));
      return taskIds.map((id) => byTask.get(id) ?? null);
    }),
    signalsByTraceId: new DataLoader(async (traceIds: readonly string[]) => {
      const rows = await db.traceSignal.findMany({ where: { traceId: { in: [...traceIds] } }, orderBy: { kind: 'asc' } });
      const byTrace = new Map<string, typeof rows>();
      for (const row of rows) byTrace.set(row.traceId, [...(byTrace.get(row.traceId) ?? []), row]);
      return traceIds.map((id) => byTrace.get(id) ?? []);
    }),
  };
}
