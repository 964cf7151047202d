export { flywheelRun, cancelRunSignal, progressQuery } from './flywheel-run';
