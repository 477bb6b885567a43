/**
 * What every stage of an evaluation run shares: the counts it adds to as it truncates, skips or
 * cannot score something, the caller's hooks (progress, rows as they come, the abort signal), and
 * the check each stage makes before its next model call so that a cancelled run stops promptly.
 */
import type { EvaluationCounts } from './run-types.js';
import type { EvaluationProgress, ResultRow } from './types.js';

/** The run's counts while it runs: each stage adds to them in place. */
export type Counts = { -readonly [K in keyof EvaluationCounts]: EvaluationCounts[K] };

export type Hooks = {
  onProgress?: (p: EvaluationProgress) => void;
  /**
   * Each category's rows (one per policy) as soon as the category is scored: MI, EMI and R-EMID
   * (once its reference is scored) without intervals, which need every category's bootstrap.
   * The returned rows are the final word; these let a long run show its results as they come.
   */
  onRows?: (rows: readonly ResultRow[]) => void;
  signal?: AbortSignal;
};

/** Counts at the start of a run: nothing truncated, skipped or unscorable yet. */
export function zeroCounts(): Counts {
  return {
    truncatedPrompts: 0,
    truncatedThoughtPrompts: 0,
    unanswerablePrompts: 0,
    truncatedContexts: 0,
    emptyResponses: 0,
    unscorablePairs: 0,
  };
}

/** Throws the signal's reason (or an AbortError) once the caller has aborted the run. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
}
