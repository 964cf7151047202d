// The monthly schedule through GraphQL: a real Temporal Schedule, paused and triggered;
// a triggered firing records a run for the previous month, findable by search attributes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import type { TestTemporal } from '../helpers/temporal';
import { openTestbed, type Testbed } from '../helpers/testbed';

describe('monthly schedule', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let api: TestApi;
  let admin: string;
  let bed: Testbed;
  let projectId: string;

  beforeAll(async () => {
    bed = await openTestbed();
    ({ database, temporal, api, admin } = bed);
    projectId = (await database.db.project.create({ data: { name: 'scheduled' } })).id;
  });
  afterAll(async () => {
    await temporal?.client.schedule.getHandle(`flywheel-schedule-${projectId}`).delete().catch(() => {});
    await bed?.close();
  });

  const FIELDS = 'scheduleId paused note timezone calendar nextRuns recentRuns { workflowId scheduledAt }';

  it('creates, pauses, resumes and triggers the schedule; a firing runs the previous month', async () => {
    const created = await api.graphql(`mutation($p: ID!) { scheduleFlywheel(projectId: $p, schedule: { dayOfMonth: 2, hour: 4, timezone: "Europe/Berlin" }) { ${FIELDS} } }`, { p: projectId }, admin);
    expect(created.errors).toBeUndefined();
    const schedule = created.data!.scheduleFlywheel;
    expect(schedule).toMatchObject({ scheduleId: `flywheel-schedule-${projectId}`, paused: false, timezone: 'Europe/Berlin' });
    expect(schedule.nextRuns.length).toBeGreaterThan(0);
    const next = new Date(schedule.nextRuns[0]);
    const berlinDay = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', day: 'numeric', hour: 'numeric', hourCycle: 'h23' }).formatToParts(next);
    expect(berlinDay.find((p) => p.type === 'day')!.value).toBe('2');
    expect(berlinDay.find((p) => p.type === 'hour')!.value).toBe('04');

    const bad = await api.graphql('mutation($p: ID!) { scheduleFlywheel(projectId: $p, schedule: { timezone: "Mars/Olympus" }) { scheduleId } }', { p: projectId }, admin);
    expect(bad.errors?.[0]?.message).toMatch(/unknown time zone/);
    const badDay = await api.graphql('mutation($p: ID!) { scheduleFlywheel(projectId: $p, schedule: { dayOfMonth: 31 }) { scheduleId } }', { p: projectId }, admin);
    expect(badDay.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const paused = await api.graphql(`mutation($p: ID!) { pauseSchedule(projectId: $p, paused: true, note: "holidays") { ${FIELDS} } }`, { p: projectId }, admin);
    expect(paused.data!.pauseSchedule).toMatchObject({ paused: true, note: 'holidays' });
    const resumed = await api.graphql(`mutation($p: ID!) { pauseSchedule(projectId: $p, paused: false) { paused } }`, { p: projectId }, admin);
    expect(resumed.data!.pauseSchedule.paused).toBe(false);

    const viewer = (await createApiKey(database.db, { name: 'v', role: 'viewer', projectId })).plain;
    expect((await api.graphql('mutation($p: ID!) { triggerNow(projectId: $p) { paused } }', { p: projectId }, viewer)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    expect((await api.graphql('mutation($p: ID!) { triggerNow(projectId: $p) { paused } }', { p: projectId }, admin)).errors).toBeUndefined();
    let run = null;
    for (let i = 0; i < 200 && !(run && run.status !== 'running'); i += 1) {
      run = await database.db.flywheelRun.findFirst({ where: { projectId } });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(run).toMatchObject({ status: 'completed' });
    const now = new Date();
    const expectedStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    expect(run!.periodStart!.toISOString()).toBe(expectedStart.toISOString());

    const found = [];
    for await (const w of temporal.client.workflow.list({ query: `FlywheelProjectId = '${projectId}' AND FlywheelPeriod = '${expectedStart.toISOString().slice(0, 7)}'` })) found.push(w.workflowId);
    expect(found).toContain(run!.workflowId);

    const described = await api.graphql(`query($p: ID!) { flywheelSchedule(projectId: $p) { ${FIELDS} } }`, { p: projectId }, admin);
    expect(described.data!.flywheelSchedule.recentRuns.length).toBeGreaterThan(0);
    const none = await api.graphql('query($p: ID!) { flywheelSchedule(projectId: $p) { scheduleId } }', { p: (await database.db.project.create({ data: { name: 'unscheduled' } })).id }, admin);
    expect(none.data!.flywheelSchedule).toBeNull();
  });
});
