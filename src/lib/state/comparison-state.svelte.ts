/**
 * The Results view's comparison of two policies. The paired bootstrap runs in the analysis worker
 * (a large run's takes seconds), so a newer choice of policies cancels the older one's request:
 * only the latest pair's comparison is ever shown.
 */
import type { PolicyComparison, ResultsFile } from '../../core/index.js';
import type { AnalysisClient } from '../clients/analysis-client.js';

export class ComparisonState {
  comparison = $state.raw<PolicyComparison | null>(null);
  comparing = $state(false);
  error = $state('');
  readonly #analysis: AnalysisClient;
  #abort: AbortController | null = null;

  constructor(analysis: AnalysisClient) {
    this.#analysis = analysis;
  }

  /** Compares policy `b` with `a` on `results` (plain data, no Svelte proxies). */
  request(results: ResultsFile, a: string, b: string): void {
    this.cancel();
    if (!a || !b || a === b) {
      this.comparison = null;
      return;
    }
    const abort = new AbortController();
    this.#abort = abort;
    this.comparing = true;
    this.error = '';
    this.#analysis.compare(results, a, b, abort.signal).then(
      (c) => {
        this.comparison = c;
        this.comparing = false;
      },
      (error: Error) => {
        if (error.name === 'AbortError') return;
        this.error = `The comparison failed: ${error.message}`;
        this.comparing = false;
      },
    );
  }

  /** Stops the comparison in flight, if any (the worker is stopped with it). */
  cancel(): void {
    this.#abort?.abort();
    this.#abort = null;
  }
}
