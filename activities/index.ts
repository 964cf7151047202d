import type { Db } from '../db/client';
import { createFlywheelRunActivities } from './flywheel-run';
import { createLabelingActivities } from './labeling';
import { createMergeActivities } from './merge';
import { createSamplingActivities } from './sampling';

export function createActivities(db: Db) {
  return { ...createFlywheelRunActivities(db), ...createLabelingActivities(db), ...createSamplingActivities(db), ...createMergeActivities(db) };
}

export type FlywheelActivities = ReturnType<typeof createActivities>;
