import type { Db } from '../db/client';
import { createFlywheelRunActivities } from './flywheel-run';
import { createLabelingActivities } from './labeling';
import { createCorrelationActivities } from './correlation';
import { createJudgingActivities } from './judging';
import { createMergeActivities } from './merge';
import { createRecalibrationActivities } from './recalibration';
import { createReleaseEvaluationActivities } from './release-evaluation';
import { createShadowEvaluationActivities } from './shadow-evaluation';
import { createSamplingActivities } from './sampling';

export function createActivities(db: Db) {
  return {
    ...createFlywheelRunActivities(db), ...createLabelingActivities(db), ...createSamplingActivities(db), ...createMergeActivities(db),
    ...createJudgingActivities(db),
    ...createRecalibrationActivities(db),
    ...createCorrelationActivities(db),
    ...createReleaseEvaluationActivities(db),
    ...createShadowEvaluationActivities(db),
  };
}

export type FlywheelActivities = ReturnType<typeof createActivities>;
