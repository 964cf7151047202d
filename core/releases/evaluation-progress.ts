// What an evaluation workflow (release or shadow) reports through its progress query.
type EvaluationStage = 'preparing' | 'judging' | 'reporting' | 'completed' | 'failed';

export interface EvaluationProgress {
  stage: EvaluationStage;
  /** Judge calls (or answers) to make, once known. */
  total: number;
  judged: number;
  failed: number;
}
