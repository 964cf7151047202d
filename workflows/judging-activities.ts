// Judging batches are long: they heartbeat, and a lost worker is noticed within a minute.
// Shared by the run and its recalibration so both judge under the same timeouts.
import { proxyActivities } from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';

export const { judgeEvalCases } = proxyActivities<FlywheelActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10 },
});
