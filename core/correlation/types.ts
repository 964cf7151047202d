// Inputs and outputs of the eval-to-production correlation report.
export const PRODUCTION_METRICS = ['thumbs_down_rate', 'rephrase_rate', 'abandonment_rate', 'escalation_rate', 'regeneration_rate', 'mean_rating'] as const;
export type ProductionMetric = (typeof PRODUCTION_METRICS)[number];

export const OFFLINE_MEASURES = ['correctness', 'relevance', 'clarity', 'calibration', 'length', 'pass_rate'] as const;
export type OfflineMeasure = (typeof OFFLINE_MEASURES)[number];

/** Counts from production traces of one release (or one release x slice cell). */
export interface ProductionCounts {
  traces: number;
  thumbsDown: number;
  rephrased: number;
  abandoned: number;
  escalated: number;
  regenerated: number;
  /** Sum and count of explicit ratings (1-5). */
  ratingSum: number;
  ratings: number;
}

/** Judge scores on the eval cases answered by one release (or cell). */
export interface OfflineScores {
  /** Per judged case: the five dimension scores and the verdict. */
  cases: { correctness: number; relevance: number; clarity: number; calibration: number; length: number; verdict: 'pass' | 'fail' }[];
}

export interface Cell {
  release: string;
  /** null: the whole release. */
  slice: string | null;
  production: ProductionCounts;
  offline: OfflineScores;
}

/** One judged trace for trace-level predictive validity. */
export interface JudgedTrace {
  scores: { correctness: number; relevance: number; clarity: number; calibration: number; length: number };
  /** The trace has a negative user signal (thumbs down, rephrase, abandonment, escalation...). */
  negative: boolean;
}

/** Judge scores on the regression set's cases answered by one release (or cell). */
export interface RegressionCell {
  release: string;
  /** null: the whole release. */
  slice: string | null;
  offline: OfflineScores;
}
