// Activities of the flywheel run. Each is idempotent: a retry rewrites the same row
// with the same values, never adds one.
import type { Db } from '../db/client';
import { activityLog } from './activity-log';
import { Prisma } from '../generated/prisma/client';
import { resolveProjectSettings, type RunSettings } from '../services/project-settings';
import { previousMonthPeriod, type FlywheelRunInput, type RunProgress, type RunStage, type TraceSnapshot } from '../core/runs/run-stage';
import { searchAttributesEnabled } from '../temporal/search-attributes-config';
import { faultPoint } from './fault-injection';

type TerminalStatus = 'completed' | 'cancelled' | 'failed';

export function createFlywheelRunActivities(db: Db) {
  return {
    async recordRunStage({ runId, stage }: { runId: string; stage: RunStage }): Promise<void> {
      await db.flywheelRun.update({ where: { id: runId }, data: { stage } });
    },

    /** Counts the period's traces per release and stores the count on the run. */
    async snapshotPeriodTraces(input: FlywheelRunInput): Promise<TraceSnapshot> {
      const where = {
        projectId: input.projectId,
        timestamp: { gte: new Date(input.periodStart), lt: new Date(input.periodEnd) },
      };
      const [grouped, sessions, releases] = await Promise.all([
        db.trace.groupBy({ by: ['releaseId'], where, _count: { _all: true } }),
        db.trace.groupBy({ by: ['releaseId', 'sessionId'], where }),
        db.release.findMany({ where: { projectId: input.projectId }, select: { id: true, name: true } }),
      ]);
      const releaseName = new Map(releases.map((r) => [r.id, r.name]));
      const sessionsByRelease = new Map<string | null, number>();
      for (const row of sessions) sessionsByRelease.set(row.releaseId, (sessionsByRelease.get(row.releaseId) ?? 0) + 1);
      const byRelease = grouped
        .map((row) => ({
          releaseName: row.releaseId ? (releaseName.get(row.releaseId) ?? null) : null,
          traces: row._count._all,
          sessions: sessionsByRelease.get(row.releaseId) ?? 0,
        }))
        .sort((a, b) => (a.releaseName ?? '').localeCompare(b.releaseName ?? ''));
      const snapshot: TraceSnapshot = {
        traceCount: byRelease.reduce((sum, r) => sum + r.traces, 0),
        sessionCount: new Set(sessions.map((s) => s.sessionId)).size,
        byRelease,
      };
      await db.flywheelRun.update({ where: { id: input.runId }, data: { traceCount: snapshot.traceCount } });
      faultPoint('snapshot-stored');
      return snapshot;
    },

    /** Copies the project's settings onto the run once; a retry returns the copy. */
    async loadRunSettings({ runId, projectId }: { runId: string; projectId: string }): Promise<RunSettings> {
      const run = await db.flywheelRun.findUniqueOrThrow({ where: { id: runId }, select: { settings: true } });
      if (run.settings) return run.settings as unknown as RunSettings;
      const project = await db.project.findUniqueOrThrow({ where: { id: projectId } });
      const settings = resolveProjectSettings(project);
      await db.flywheelRun.updateMany({ where: { id: runId, settings: { equals: Prisma.DbNull } }, data: { settings: JSON.parse(JSON.stringify(settings)) } });
      return (await db.flywheelRun.findUniqueOrThrow({ where: { id: runId }, select: { settings: true } })).settings as unknown as RunSettings;
    },

    /** The run row of a scheduled firing; keyed by the firing's workflow id, so a retry finds it. */
    async createScheduledRun({ projectId, scheduledWorkflowId, firedAt }: { projectId: string; scheduledWorkflowId: string; firedAt: string }) {
      const period = previousMonthPeriod(new Date(firedAt));
      const workflowId = `${scheduledWorkflowId}-run`;
      const run = await db.flywheelRun.upsert({
        where: { workflowId },
        update: {},
        create: { projectId, workflowId, periodStart: new Date(period.periodStart), periodEnd: new Date(period.periodEnd) },
      });
      return { runId: run.id, workflowId, ...period, searchAttributes: searchAttributesEnabled() };
    },

    async finishRun({ runId, status, summary, failureCause }: { runId: string; status: TerminalStatus; summary: RunProgress; failureCause: string | null }): Promise<void> {
      await db.flywheelRun.update({
        where: { id: runId },
        data: { status, stage: summary.stage, summary: JSON.parse(JSON.stringify(summary)), failureCause, finishedAt: new Date() },
      });
      faultPoint('run-finish-stored');
      activityLog()[status === 'failed' ? 'error' : 'info']('run recorded', { flywheelRunId: runId, status, stage: summary.stage, failureCause });
    },
  };
}
