// Judging batches are long: they heartbeat, so a lost worker is noticed within the heartbeat
// timeout. Shared by the run and its recalibration so both judge under the same timeouts.
import { proxyActivities } from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';

export function judgingActivity(heartbeatTimeoutMs: number): FlywheelActivities['judgeEvalCases'] {
  return proxyActivities<FlywheelActivities>({
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10 },
  }).judgeEvalCases;
}
