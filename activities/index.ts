import type { Db } from '../db/client';
import { createFlywheelRunActivities } from './flywheel-run';

export function createActivities(db: Db) {
  return { ...createFlywheelRunActivities(db) };
}

export type FlywheelActivities = ReturnType<typeof createActivities>;
