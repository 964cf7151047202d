export { flywheelRun, cancelRunSignal, progressQuery } from './flywheel-run';
export { labelingQueue, submitLabelUpdate, skipTaskUpdate, closeLabelingSignal, labelingProgressQuery } from './labeling-queue';
