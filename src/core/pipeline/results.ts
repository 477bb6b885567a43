/**
 * The results file of an evaluation (documented in the README): a manifest of everything that
 * determined the numbers, one row per (policy, category), R-EMID per (policy, shift family), and
 * every scored pair, so anyone can recompute every number from the file.
 */
import Papa from 'papaparse';
import type { EvaluationCounts, EvaluationOutput } from './run.js';
import type { EvaluationSettings, FamilyRow, PairRecord, ResultRow } from './types.js';

export const RESULTS_FORMAT_VERSION = 1;

export interface ModelManifestEntry {
  readonly id: string;
  /** e.g. "bundled" or "hub". */
  readonly source: string;
  readonly filesHash: string;
  readonly dtype: string;
  readonly device: string;
  /** The day a date-printing chat template rendered every prompt with (YYYY-MM-DD). */
  readonly renderDate?: string;
  /** How responses were run (see the model service's LoadedModelInfo.scoring), for models that were scored. */
  readonly scoring?: string;
  /**
   * For models not bundled with the app: the load-time comparison of context sharing with whole
   * sequences (largest difference per token and its tolerance, nats); scoring is 'whole' when
   * they disagreed. The difference is null where it could not be measured (the probe failed).
   */
  readonly sharingProbe?: {
    readonly maxAbsDiffNats: number | null;
    readonly toleranceNats: number;
    readonly error?: string;
  };
}

export interface ResultsManifest {
  readonly formatVersion: number;
  readonly appVersion: string;
  readonly createdAt: string;
  readonly benchmark: { readonly name?: string; readonly sha256: string; readonly samples: number };
  /** Imported policies carry the SHA-256 of their responses' canonical JSON (hashValue). */
  readonly policies: readonly (
    ModelManifestEntry | { readonly id: string; readonly source: 'imported'; readonly sha256?: string }
  )[];
  readonly estimator: ModelManifestEntry;
  /** The model that wrote the reasoning r (reasoning 'generate' only). */
  readonly thought?: ModelManifestEntry;
  /** The text encoder of the bound's divergences, when the run computed the bound. */
  readonly encoder?: ModelManifestEntry;
  readonly settings: EvaluationSettings;
  /** Prompt-template versions; `thought` with reasoning 'generate' only. */
  readonly templates: { readonly policy: string; readonly estimator: string; readonly thought?: string };
  readonly counts: EvaluationCounts;
  readonly timings: Readonly<Record<string, number>>;
}

export interface ResultsFile {
  readonly manifest: ResultsManifest;
  readonly rows: readonly ResultRow[];
  readonly families: readonly FamilyRow[];
  readonly pairs: readonly PairRecord[];
  /** Policy responses by policy id and sample ID. */
  readonly responses: EvaluationOutput['responses'];
  /** The reasoning r the thought model wrote, by sample ID (reasoning 'generate' only). */
  readonly reasoning?: EvaluationOutput['reasoning'];
  /** With the bound: its correlation with R-EMID across rows (published form), and whether it held. */
  readonly boundValidation?: EvaluationOutput['boundValidation'];
  /** With the bound: each model policy's predictive entropy over its own responses (for Ĥ). */
  readonly policyEntropies?: EvaluationOutput['policyEntropies'];
}

export function resultsFile(manifest: ResultsManifest, output: EvaluationOutput): ResultsFile {
  return {
    manifest,
    rows: output.rows,
    families: output.families,
    pairs: output.pairs,
    responses: output.responses,
    ...(output.reasoning ? { reasoning: output.reasoning } : {}),
    ...(output.boundValidation ? { boundValidation: output.boundValidation } : {}),
    ...(output.policyEntropies ? { policyEntropies: output.policyEntropies } : {}),
  };
}

/** The rows as CSV (each interval as two columns), via Papa Parse's unparse. */
export function rowsToCsv(rows: readonly ResultRow[]): string {
  return Papa.unparse(
    rows.map((r) => ({
      policy: r.policy,
      category: r.category,
      shift: r.shift,
      reference: r.reference ?? '',
      n: r.n,
      miModel: r.miModel,
      miGold: r.miGold,
      emi: r.emi,
      remid: r.remid ?? '',
      remidLow: r.remidCi?.[0] ?? '',
      remidHigh: r.remidCi?.[1] ?? '',
      goldPerplexity: r.goldPerplexity ?? '',
      goldPerplexityLow: r.goldPerplexityCi?.[0] ?? '',
      goldPerplexityHigh: r.goldPerplexityCi?.[1] ?? '',
    })),
  );
}
