// Activities log through the activity context's logger, which adds the workflow id, its run
// id and the activity type; called outside an activity (tests, benches) they log directly.
import { Context } from '@temporalio/activity';
import type { Logger as TemporalLogger } from '@temporalio/common';
import { temporalLogger } from '../temporal/logging';

export function activityLog(): TemporalLogger {
  try {
    return Context.current().log;
  } catch {
    return temporalLogger();
  }
}
