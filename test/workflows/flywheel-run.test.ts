import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelRunSignal, flywheelRun, progressQuery } from '../../workflows';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

describe('flywheelRun workflow (real Temporal dev server, real Postgres)', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let projectId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    temporal = await connectTestTemporal(database.db);
    // A queue that closes by itself after a second keeps this test about the run's own stages.
    const project = await database.db.project.create({ data: { name: 'workflow-test', labelingSettings: { deadlineHours: 1 / 3600 } } });
    projectId = project.id;
    const [r1, r2] = await Promise.all([
      database.db.release.create({ data: { projectId, name: 'v1' } }),
      database.db.release.create({ data: { projectId, name: 'v2' } }),
    ]);
    const rows = [
      { externalId: 'a', sessionId: 's1', releaseId: r1.id, timestamp: new Date('2026-10-03T10:00:00Z') },
      { externalId: 'b', sessionId: 's1', releaseId: r1.id, timestamp: new Date('2026-10-03T10:01:00Z') },
      { externalId: 'c', sessionId: 's2', releaseId: r2.id, timestamp: new Date('2026-10-20T09:00:00Z') },
      // outside the period: must not be counted
      { externalId: 'd', sessionId: 's3', releaseId: r2.id, timestamp: new Date('2026-11-02T09:00:00Z') },
    ];
    await database.db.trace.createMany({
      data: rows.map((row) => ({ ...row, projectId, input: 'q', output: 'a', contentHash: row.externalId })),
    });
  });

  afterAll(async () => {
    await temporal?.close();
    await database?.drop();
  });

  async function createRun(suffix: string) {
    return database.db.flywheelRun.create({
      data: {
        projectId,
        workflowId: `wf-${suffix}-${Math.random().toString(36).slice(2)}`,
        periodStart: new Date('2026-10-01T00:00:00Z'),
        periodEnd: new Date('2026-11-01T00:00:00Z'),
      },
    });
  }

  it('snapshots the period through its activities and completes, writing the run row', async () => {
    const run = await createRun('complete');
    const worker = await temporal.startWorker();
    try {
      const handle = await temporal.client.workflow.start(flywheelRun, {
        taskQueue: temporal.taskQueue,
        workflowId: run.workflowId,
        args: [{ runId: run.id, projectId, periodStart: '2026-10-01T00:00:00.000Z', periodEnd: '2026-11-01T00:00:00.000Z' }],
      });
      const result = await handle.result();
      expect(result.stage).toBe('completed');
      // The three traces ask the same question: two are left out as near-duplicates.
      expect(result.sample).toMatchObject({ sampled: 1, eligible: 3, excluded: { nearDuplicates: 2 } });
      // One item, labelled twice (the double-label minimum takes every item of a small sample).
      expect(result.labeling).toMatchObject({ total: 2, expired: 2, closeReason: 'deadline' });
      expect(result.snapshot).toEqual({
        traceCount: 3,
        sessionCount: 2,
        byRelease: [
          { releaseName: 'v1', traces: 2, sessions: 1 },
          { releaseName: 'v2', traces: 1, sessions: 1 },
        ],
      });
      expect(await handle.query(progressQuery)).toMatchObject({ stage: 'completed', cancelRequested: false });
      const row = await database.db.flywheelRun.findUniqueOrThrow({ where: { id: run.id } });
      expect(row).toMatchObject({ status: 'completed', stage: 'completed', traceCount: 3, failureCause: null });
      expect(row.finishedAt).toBeInstanceOf(Date);
    } finally {
      await worker.stop();
    }
  });

  it('cancels cleanly on the cancel signal: no further stage runs, the row says why', async () => {
    const run = await createRun('cancel');
    // No worker yet: the signal is in history before the first workflow task runs.
    const handle = await temporal.client.workflow.start(flywheelRun, {
      taskQueue: temporal.taskQueue,
      workflowId: run.workflowId,
      args: [{ runId: run.id, projectId, periodStart: '2026-10-01T00:00:00.000Z', periodEnd: '2026-11-01T00:00:00.000Z' }],
    });
    await handle.signal(cancelRunSignal, 'operator stopped it');
    const worker = await temporal.startWorker();
    try {
      const result = await handle.result();
      expect(result).toMatchObject({ stage: 'cancelled', cancelRequested: true, cancelReason: 'operator stopped it', snapshot: null, sample: null });
      expect(await database.db.sampleItem.count({ where: { runId: run.id } })).toBe(0);
      const row = await database.db.flywheelRun.findUniqueOrThrow({ where: { id: run.id } });
      expect(row).toMatchObject({ status: 'cancelled', stage: 'cancelled', failureCause: 'operator stopped it', traceCount: null });
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    } finally {
      await worker.stop();
    }
  });
});
