// A worker process SIGKILLed in the middle of the run's early stages (snapshotting,
// sampling, opening the labeling queue, labeling); a new worker takes over and the run ends with exactly the
// rows an undisturbed run on the same data makes: nothing lost, nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { openFaultSuite, type FaultSuite } from './helpers/fault-suite';
import { labelEverything } from './helpers/flywheel-scenario';

describe('worker killed during the early stages of a run', () => {
  let suite: FaultSuite;

  beforeAll(async () => {
    suite = await openFaultSuite({ postgresAdminUrl: inject('postgresAdminUrl'), temporalAddress: inject('temporalAddress') });
  });
  afterAll(async () => {
    await suite?.close();
  });

  it('an undisturbed run goes through every stage, recalibration included', async () => {
    const baseline = await suite.baseline();
    const summary = JSON.parse(baseline.run);
    expect(summary.status).toBe('completed');
    expect(summary.summary.sample.sampled).toBeGreaterThan(10);
    expect(summary.summary.recalibration).not.toBeNull();
    expect(baseline.labels.length).toBe(summary.summary.labeling.done);
    expect(baseline.correlationReports).toHaveLength(1);
  });

  it.each([
    ['snapshotting', 'snapshot-stored'],
    ['sampling', 'sample-stored'],
  ] as const)('killed while %s: same result', async (stage, point) => {
    const disturbed = await suite.run(`kill-${stage}`, async (s) => {
      const doomed = await s.startWorker(point);
      await s.startRun();
      await doomed.frozen;
      await doomed.kill();
      await s.startWorker();
      const outcomes = await labelEverything(s);
      expect(outcomes.every((o) => o.status === 'done' && !o.duplicate)).toBe(true);
    });
    expect(disturbed).toEqual(await suite.baseline());
  });

  it('killed while labeling, after storing a label and before the queue heard of it, then again while waiting for reviewers: same result', async () => {
    const disturbed = await suite.run('kill-labeling', async (s) => {
      const doomed = await s.startWorker('label-stored#3');
      await s.startRun();
      const tasks = await s.labelTasks();
      // The third submission waits on the frozen worker until its successor retries the activity.
      const takeover = doomed.frozen.then(async () => {
        await doomed.kill();
        await s.startWorker();
      });
      const half = Math.floor(tasks.length / 2);
      const outcomes = [];
      for (const task of tasks.slice(0, half)) outcomes.push(await s.submitLabel(task));
      await takeover;
      // Killed while idle: the other half arrive while no worker runs, and go to the next one.
      await s.worker().kill();
      const late = Promise.all(tasks.slice(half).map((task) => s.submitLabel(task)));
      await new Promise((r) => setTimeout(r, 1000));
      await s.startWorker();
      outcomes.push(...(await late));
      expect(outcomes).toHaveLength(tasks.length);
      expect(outcomes.filter((o) => o.status !== 'done' || o.duplicate)).toEqual([]);
    });
    expect(disturbed).toEqual(await suite.baseline());
  });

  it('killed while opening the labeling queue, with reviewers labelling the tasks they already see: same result', async () => {
    const listed = (await suite.baseline()).labelTasks.length;
    const disturbed = await suite.run('kill-opening-queue', async (s) => {
      const doomed = await s.startWorker('tasks-created');
      await s.startRun();
      await doomed.frozen;
      // The tasks are in the reviewers' list while the queue has not heard that they exist.
      const tasks = await s.listedTasks(listed);
      const early = s.submitLabel(tasks[0]!);
      await doomed.kill();
      await s.startWorker();
      const outcomes = [await early];
      for (const task of tasks.slice(1)) outcomes.push(await s.submitLabel(task));
      expect(outcomes.filter((o) => o.status !== 'done' || o.duplicate)).toEqual([]);
    });
    expect(disturbed).toEqual(await suite.baseline());
  });
});
