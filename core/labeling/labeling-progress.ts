// The labeling queue's state as its workflow keeps it, and the counting rules.
export type CloseReason = 'completed' | 'deadline' | 'admin' | 'empty';

export interface ReviewerProgress {
  done: number;
  skipped: number;
}

export interface LabelingProgress {
  total: number;
  done: number;
  skipped: number;
  expired: number;
  open: number;
  perReviewer: Record<string, ReviewerProgress>;
  closed: boolean;
  closeReason: CloseReason | null;
  deadline: string;
  /** Runs of this queue so far (continue-as-new keeps history short on long queues). */
  generation: number;
}

export function newLabelingProgress(total: number, deadline: string): LabelingProgress {
  return { total, done: 0, skipped: 0, expired: 0, open: total, perReviewer: {}, closed: total === 0, closeReason: total === 0 ? 'empty' : null, deadline, generation: 1 };
}

/** Counts one newly finished task (never a duplicate: the activity says which). */
export function recordFinishedTask(progress: LabelingProgress, reviewerId: string, outcome: 'done' | 'skipped'): void {
  progress[outcome] += 1;
  progress.open = Math.max(0, progress.total - progress.done - progress.skipped - progress.expired);
  const reviewer = (progress.perReviewer[reviewerId] ??= { done: 0, skipped: 0 });
  reviewer[outcome] += 1;
}

export function allTasksFinished(progress: LabelingProgress): boolean {
  return progress.done + progress.skipped + progress.expired >= progress.total;
}
