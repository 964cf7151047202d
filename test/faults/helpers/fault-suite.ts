// Setup shared by the fault files that run whole flywheels on worker processes: a seeded
// month, a simulated judge that knows its truth (and disagrees enough that recalibration
// runs), a workflow bundle made once, and the baseline run every disturbed run must match.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { startSimulatedProvider, type SimulatedProvider } from '../../../simulator/llm-provider';
import { fingerprint, type RunFingerprint } from './fingerprint';
import { dropTemplate, labelEverything, openScenario, oracleOf, seedMonth, type Scenario, type ScenarioServers } from './flywheel-scenario';
import { bundleWorkflowsOnce } from './worker-process';

/** Durations, configurable so a slow machine can be given more room. */
const FAULT_HEARTBEAT_TIMEOUT_MS = Number(process.env.FAULT_TEST_HEARTBEAT_MS ?? 2000);
const FAULT_TRACES = Number(process.env.FAULT_TEST_TRACES ?? 300);
const FAULT_SAMPLE = Number(process.env.FAULT_TEST_SAMPLE ?? 20);

export interface FaultSuite {
  simulator: SimulatedProvider;
  /** The undisturbed run's fingerprint, made on first use. */
  baseline(): Promise<RunFingerprint>;
  /** A scenario on a fresh copy of the month; `disturb` runs it, then the fingerprint is taken. */
  run(name: string, disturb: (scenario: Scenario) => Promise<void>): Promise<RunFingerprint>;
  close(): Promise<void>;
}

export async function openFaultSuite(options: { postgresAdminUrl: string; temporalAddress: string }): Promise<FaultSuite> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'flywheel-faults-'));
  const workflowBundle = await bundleWorkflowsOnce(path.join(scratch, 'workflows.js'));
  const simulator = await startSimulatedProvider({ seed: 'faults', disagreement: 0.4, fewShotHelps: true });
  const month = await seedMonth(options.postgresAdminUrl, { traces: FAULT_TRACES, sampleSize: FAULT_SAMPLE });
  simulator.setOracle(await oracleOf(month));
  const connection = await Connection.connect({ address: options.temporalAddress });
  const servers: ScenarioServers = {
    temporal: new Client({ connection, namespace: 'default' }),
    temporalAddress: options.temporalAddress,
    taskQueue: `faults-${randomBytes(4).toString('hex')}`,
    workflowBundle,
    simulator,
    heartbeatTimeoutMs: FAULT_HEARTBEAT_TIMEOUT_MS,
  };

  const run = async (name: string, disturb: (scenario: Scenario) => Promise<void>) => {
    const scenario = await openScenario(month, servers, name);
    const started = Date.now();
    try {
      await disturb(scenario);
      const end = await scenario.waitUntilFinished();
      expect(end, scenario.worker()?.output()).toEqual({ status: 'completed', failureCause: null });
      console.log(`scenario ${name}: run completed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return await fingerprint(scenario.db, scenario.runId);
    } catch (error) {
      // The worker's last words say more than a timeout does.
      const row = await scenario.db.flywheelRun.findUnique({ where: { id: scenario.runId }, select: { status: true, stage: true, failureCause: true } }).catch(() => null);
      const pending = await scenario.workflow().describe().then((d) => JSON.stringify(d.raw.pendingActivities?.map((a) => ({ type: a.activityType?.name, attempt: a.attempt, failure: a.lastFailure?.message })) ?? []), () => 'unknown');
      console.error(`scenario ${name} failed; run ${JSON.stringify(row)}; pending activities ${pending}; last worker output:\n${scenario.worker()?.output() ?? '(no worker)'}`);
      throw error;
    } finally {
      await scenario.close();
    }
  };

  let baseline: Promise<RunFingerprint> | undefined;
  return {
    simulator,
    baseline: () =>
      (baseline ??= run('baseline', async (s) => {
        await s.startWorker();
        await s.startRun();
        const outcomes = await labelEverything(s);
        expect(outcomes.every((o) => o.status === 'done' && !o.duplicate)).toBe(true);
      })),
    run,
    async close() {
      await dropTemplate(month).catch(() => {});
      await connection.close();
      await simulator.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
