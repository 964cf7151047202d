import type { Db } from '../db/client';
import { createFlywheelRunActivities } from './flywheel-run';
import { createLabelingActivities } from './labeling';
import { createSamplingActivities } from './sampling';

export function createActivities(db: Db) {
  return { ...createFlywheelRunActivities(db), ...createLabelingActivities(db), ...createSamplingActivities(db) };
}

export type FlywheelActivities = ReturnType<typeof createActivities>;
