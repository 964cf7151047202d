// The newcomer's demo, end to end on the real servers: a synthetic month goes through
// ingestion, sampling, simulated reviewers' labels, merge, judge, recalibration and
// correlation, the report is printed, and the monthly schedule exists afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ID_ATTRIBUTE, PERIOD_ATTRIBUTE } from '../../core/runs/search-attributes';
import { runDemo } from '../../cli/demo';
import { scheduleIdFor } from '../../services/schedules';
import type { SimulatedProvider } from '../../simulator/llm-provider';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import type { TestTemporal } from '../helpers/temporal';
import { openTestbed, type SimulatedTestbed } from '../helpers/testbed';

describe('the demo', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let api: TestApi;
  let sim: SimulatedProvider;
  let admin: string;
  let bed: SimulatedTestbed;
  let demoProjectId: string | undefined;

  beforeAll(async () => {
    bed = await openTestbed({ simulator: { seed: 'demo-test' } });
    ({ database, temporal, api, sim, admin } = bed);
  });
  afterAll(async () => {
    // The schedule lives on the shared test server: remove it so it never fires later.
    if (demoProjectId) await temporal.client.schedule.getHandle(scheduleIdFor(demoProjectId)).delete().catch(() => {});
    await bed?.close();
  });

  it('runs a synthetic month through the whole loop unattended, prints the report and leaves a monthly schedule', async () => {
    const lines: string[] = [];
    const printed: string[] = [];
    const realLog = console.log;
    console.log = (...args: unknown[]) => printed.push(args.join(' '));
    let result: Awaited<ReturnType<typeof runDemo>>;
    try {
      result = await runDemo({ baseUrl: api.baseUrl, adminKey: admin, simulator: sim, log: (line) => lines.push(line) });
    } finally {
      console.log = realLog;
    }
    demoProjectId = result.projectId;
    expect(result.status).toBe('completed');

    const run = await database.db.flywheelRun.findUniqueOrThrow({ where: { id: result.runId } });
    expect(run.status).toBe('completed');
    expect(await database.db.sampleItem.count({ where: { runId: run.id } })).toBeGreaterThan(0);
    // Every task was labelled by the simulated reviewers: none expired, none refused.
    const tasks = await database.db.labelTask.groupBy({ by: ['status'], where: { runId: run.id }, _count: true });
    expect(tasks.map((t) => t.status)).toEqual(['done']);
    expect(await database.db.evalSetVersion.count({ where: { runId: run.id } })).toBe(2);
    expect(await database.db.agreementReport.count({ where: { runId: run.id } })).toBeGreaterThan(0);
    expect(await database.db.correlationReport.count({ where: { runId: run.id } })).toBe(1);

    const report = printed.join('\n');
    expect(report).toContain(`Run ${run.id}`);
    expect(report).toMatch(/Eval set production: v1/);
    expect(report).toMatch(/Judge v1: \d+ scored/);

    // The run is findable in the Temporal UI by its search attributes, and the schedule exists.
    const description = await temporal.client.workflow.getHandle(run.workflowId).describe();
    expect(description.typedSearchAttributes.get(PROJECT_ID_ATTRIBUTE)).toBe(result.projectId);
    expect(description.typedSearchAttributes.get(PERIOD_ATTRIBUTE)).toBe('2026-10');
    const schedule = await temporal.client.schedule.getHandle(scheduleIdFor(result.projectId)).describe();
    expect(schedule.state.paused).toBe(false);
    expect(lines.some((l) => l.startsWith(`Monthly schedule ${scheduleIdFor(result.projectId)}`))).toBe(true);
  }, 600_000);
});
