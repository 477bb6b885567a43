/**
 * The analysis worker's contract. Types only: statistics over a finished run that take long
 * enough to stall the page (the paired bootstrap of a comparison) run in their own worker.
 */
import type { PolicyComparison } from '../core/analysis/compare.js';
import type { ResultsFile } from '../core/pipeline/results.js';

export interface AnalysisService {
  /** R-EMID of policy b − policy a with paired bootstrap intervals (the core's comparePolicies). */
  compare(results: ResultsFile, a: string, b: string): Promise<PolicyComparison>;
}
