// A worker process SIGKILLed in the middle of the run's stages after labeling (merging,
// judging, recalibrating, correlating, finishing); a new worker takes over and the run
// ends with exactly the rows an undisturbed run on the same data makes: no case, set
// version, judge score, candidate prompt, agreement or correlation report lost or twice.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openFaultSuite, type FaultSuite } from './helpers/fault-suite';
import { labelEverything } from './helpers/flywheel-scenario';

describe('worker killed during the late stages of a run', () => {
  let suite: FaultSuite;

  beforeAll(async () => {
    suite = await openFaultSuite({ postgresAdminUrl: inject('postgresAdminUrl'), temporalAddress: inject('temporalAddress') });
  });
  afterAll(async () => {
    await suite?.close();
  });

  it.each([
    // After the production set's new version, before the regression set's.
    ['merging', 'merge-between-sets'],
    // Half-way through the first judging batch: some of the run's cases scored, the rest not.
    ['judging', 'judge-score-stored#8'],
    ['recalibrating', 'candidates-stored'],
    ['correlating', 'correlation-stored'],
    ['finishing', 'run-finish-stored'],
  ] as const)('killed while %s: same result', async (stage, point) => {
    const disturbed = await suite.run(`kill-${stage}`, async (s) => {
      const doomed = await s.startWorker(point);
      await s.startRun();
      await labelEverything(s);
      await doomed.frozen;
      // Frozen after the stage's write: the run row shows the stage (or, at the end, says
      // "completed") while Temporal still waits for the activity's result.
      const row = await s.db.flywheelRun.findUniqueOrThrow({ where: { id: s.runId } });
      expect(row.stage).toBe(stage === 'finishing' ? 'completed' : stage);
      expect((await s.workflow().describe()).status.name).toBe('RUNNING');
      await doomed.kill();
      await s.startWorker();
    });
    expect(disturbed).toEqual(await suite.baseline());
  });
});
