export { flywheelRun, cancelRunSignal, progressQuery } from './flywheel-run';
export { labelingQueue, submitLabelUpdate, skipTaskUpdate, closeLabelingSignal, labelingProgressQuery } from './labeling-queue';
export { recalibrateJudge } from './recalibration';
export { scheduledFlywheelRun } from './scheduled-run';
export { releaseEvaluation, releaseEvaluationProgressQuery } from './release-evaluation';
export { shadowEvaluation, shadowEvaluationProgressQuery } from './shadow-evaluation';
