// The Temporal server (same SQLite file) and PostgreSQL restarted in the middle of a run,
// once while the queue waits for reviewers and once mid-judging: the worker process and
// the API reconnect by themselves, the run resumes when the server is back and ends with
// the same rows as an undisturbed run. This file starts its own servers for that.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFaultSuite, type FaultSuite } from './helpers/fault-suite';
import type { Scenario } from './helpers/flywheel-scenario';
import { startOwnPostgres, startOwnTemporal, type RestartableServer } from './helpers/own-servers';

const OUTAGE_MS = Number(process.env.FAULT_TEST_OUTAGE_MS ?? 3000);
// Slow judge replies keep the judging batch going while the server is away.
const SLOW_JUDGE_MS = Number(process.env.FAULT_TEST_SLOW_JUDGE_MS ?? 1500);

describe('Temporal and PostgreSQL restarted mid-run', () => {
  let scratch: string;
  let temporal: RestartableServer & { address: string };
  let postgres: RestartableServer & { adminUrl: string };
  let suite: FaultSuite;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'flywheel-restarts-'));
    await chmod(scratch, 0o755);
    postgres = await startOwnPostgres(path.join(scratch, 'pg'));
    temporal = await startOwnTemporal(scratch);
    suite = await openFaultSuite({ postgresAdminUrl: postgres.adminUrl, temporalAddress: temporal.address });
  });
  afterAll(async () => {
    await suite?.close();
    await temporal?.stop();
    await postgres?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** Labels half, restarts the server while the queue waits, labels the rest, restarts it again while judging. */
  async function restartTwice(s: Scenario, server: RestartableServer) {
    await s.startWorker();
    await s.startRun();
    const tasks = await s.labelTasks();
    const half = Math.floor(tasks.length / 2);
    const outcomes = [];
    for (const task of tasks.slice(0, half)) outcomes.push(await s.submitLabel(task));
    await server.restart(OUTAGE_MS);
    suite.simulator.configure({ latencyMs: SLOW_JUDGE_MS });
    try {
      for (const task of tasks.slice(half)) outcomes.push(await s.submitLabel(task));
      await s.waitForStage('judging');
      // Some of the run's cases scored, the batch still going.
      let scored = 0;
      for (let i = 0; scored === 0; i += 1) {
        if (i > 600) throw new Error('judging never started');
        await new Promise((r) => setTimeout(r, 100));
        scored = await s.db.judgeScore.count();
      }
      expect(scored).toBeLessThan(await s.db.evalCase.count({ where: { evalSet: { kind: 'production' } } }));
      await server.restart(OUTAGE_MS);
    } finally {
      suite.simulator.configure({ latencyMs: 0 });
    }
    expect(outcomes).toHaveLength(tasks.length);
    expect(outcomes.every((o) => o.status === 'done')).toBe(true);
  }

  it('an undisturbed run completes', async () => {
    const baseline = await suite.baseline();
    expect(JSON.parse(baseline.run).status).toBe('completed');
  });

  it('Temporal restarted while waiting for reviewers and while judging: same result', async () => {
    const disturbed = await suite.run('temporal-restart', (s) => restartTwice(s, temporal));
    expect(disturbed).toEqual(await suite.baseline());
  });

  it('PostgreSQL restarted while waiting for reviewers and while judging: same result', async () => {
    const disturbed = await suite.run('postgres-restart', (s) => restartTwice(s, postgres));
    expect(disturbed).toEqual(await suite.baseline());
  });
});
