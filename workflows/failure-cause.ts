// How a workflow's failure reads on its run or evaluation row.
import { isCancellation } from '@temporalio/workflow';

/** The error's message with its cause's ("cancelled" for a cancellation). */
export function failureCause(error: unknown): string {
  if (isCancellation(error)) return 'cancelled';
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
