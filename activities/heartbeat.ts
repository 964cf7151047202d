import { Context } from '@temporalio/activity';

/** Reports progress of a long activity; a lost worker is then noticed within the heartbeat timeout. */
export function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Called outside an activity (tests, scripts): nothing to report to.
  }
}
