// Test-only fault injection, inert unless FLYWHEEL_TEST_FREEZE_AT is set (only the fault
// tests set it, on a worker process they are about to kill). With `<point>` or
// `<point>#<n>` (its n-th hit) the process announces the point on stdout and freezes, its
// JavaScript thread blocked for good, so the test can SIGKILL it exactly there: after an
// activity's write has committed and before Temporal has heard that the activity finished,
// the moment a retry on another worker must find the write and not repeat it.
import { writeSync } from 'node:fs';

export type FaultPoint =
  | 'snapshot-stored'
  | 'sample-stored'
  | 'tasks-created'
  | 'label-stored'
  | 'merge-between-sets'
  | 'judge-score-stored'
  | 'candidates-stored'
  | 'correlation-stored'
  | 'run-finish-stored';

export const FREEZE_AT_ENV = 'FLYWHEEL_TEST_FREEZE_AT';
export const FROZEN_MARKER = 'FLYWHEEL_TEST_FROZEN_AT';

let hits = 0;

export function faultPoint(point: FaultPoint): void {
  const spec = process.env[FREEZE_AT_ENV];
  if (!spec) return;
  const [name, nth = '1'] = spec.split('#');
  if (name !== point || (hits += 1) !== Number(nth)) return;
  // Synchronous write: nothing else of this process runs after the next line.
  writeSync(1, `${FROZEN_MARKER} ${point}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
