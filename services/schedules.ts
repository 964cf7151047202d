// The monthly schedule of a project, as a Temporal Schedule (visible in the Temporal UI):
// calendar spec, time zone, overlap policy skip.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleDescription } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../db/client';
import { scheduledFlywheelRun } from '../workflows';
import type { Principal } from './api-keys';
import { badInput, notFound } from './errors';
import type { TemporalDeps } from './flywheel-runs';
import { requireProject } from './projects';

export const scheduleIdFor = (projectId: string) => `flywheel-schedule-${projectId}`;

const ScheduleInput = z.strictObject({
  dayOfMonth: z.number().int().min(1).max(28).default(1),
  hour: z.number().int().min(0).max(23).default(3),
  minute: z.number().int().min(0).max(59).default(0),
  timezone: z.string().min(1).default('UTC'),
});

function validTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

export interface ScheduleView {
  scheduleId: string;
  paused: boolean;
  note: string | null;
  timezone: string | null;
  calendar: string;
  nextRuns: string[];
  recentRuns: { workflowId: string; scheduledAt: string }[];
}

function view(scheduleId: string, d: ScheduleDescription): ScheduleView {
  const cal = d.spec.calendars?.[0];
  const show = (v: unknown) => JSON.stringify(v);
  return {
    scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? null,
    timezone: d.spec.timezone ?? null,
    calendar: cal ? `dayOfMonth ${show(cal.dayOfMonth)} hour ${show(cal.hour)} minute ${show(cal.minute)}` : 'none',
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.slice(-5).map((a) => ({ workflowId: 'workflow' in a.action ? a.action.workflow.workflowId : '', scheduledAt: a.scheduledAt.toISOString() })),
  };
}

export async function scheduleFlywheel(db: Db, temporal: TemporalDeps, principal: Principal, projectId: string, input: unknown) {
  await requireProject(db, principal, projectId, 'operate');
  const parsed = ScheduleInput.safeParse(input ?? {});
  if (!parsed.success) throw badInput(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { dayOfMonth, hour, minute, timezone } = parsed.data;
  if (!validTimezone(timezone)) throw badInput(`unknown time zone "${timezone.slice(0, 60)}"`);
  const scheduleId = scheduleIdFor(projectId);
  const spec = { calendars: [{ dayOfMonth, hour, minute }], timezone };
  const action = { type: 'startWorkflow' as const, workflowType: scheduledFlywheelRun, args: [{ projectId }] as [{ projectId: string }], taskQueue: temporal.taskQueue, workflowId: `flywheel-scheduled-${projectId}` };
  try {
    await temporal.client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await temporal.client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP } }));
  }
  return describeSchedule(db, temporal, principal, projectId);
}

export async function describeSchedule(db: Db, temporal: TemporalDeps, principal: Principal, projectId: string): Promise<ScheduleView | null> {
  await requireProject(db, principal, projectId, 'read');
  const scheduleId = scheduleIdFor(projectId);
  try {
    return view(scheduleId, await temporal.client.schedule.getHandle(scheduleId).describe());
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}

async function existingHandle(db: Db, temporal: TemporalDeps, principal: Principal, projectId: string) {
  await requireProject(db, principal, projectId, 'operate');
  const handle = temporal.client.schedule.getHandle(scheduleIdFor(projectId));
  try {
    await handle.describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw notFound('schedule of project', projectId);
    throw error;
  }
  return handle;
}

export async function pauseSchedule(db: Db, temporal: TemporalDeps, principal: Principal, projectId: string, paused: boolean, note?: string | null) {
  const handle = await existingHandle(db, temporal, principal, projectId);
  if (paused) await handle.pause(note ?? 'paused through the API');
  else await handle.unpause(note ?? 'resumed through the API');
  return describeSchedule(db, temporal, principal, projectId);
}

/** Fires the schedule now (overlap policy still applies: skipped while a run is going). */
export async function triggerNow(db: Db, temporal: TemporalDeps, principal: Principal, projectId: string) {
  const handle = await existingHandle(db, temporal, principal, projectId);
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  return describeSchedule(db, temporal, principal, projectId);
}
