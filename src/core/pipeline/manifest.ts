/**
 * The manifest of a results file, built the same way by the command line and the app: everything
 * that determined the numbers (app version, benchmark hash, models with file hashes, settings,
 * prompt templates) and what happened (counts, timings).
 */
import { ESTIMATOR_TEMPLATE_VERSION } from '../prompts/estimator-prompt.js';
import { ROLE_PLAY_TEMPLATE_VERSION } from '../prompts/prompt.js';
import { THOUGHT_TEMPLATE_VERSION } from '../prompts/thought-prompt.js';
import { RESULTS_FORMAT_VERSION, type ResultsManifest } from './results.js';
import type { EvaluationSettings } from './types.js';

/** The prompt template version the estimator scores with under these settings. */
export const estimatorTemplateVersion = (settings: Pick<EvaluationSettings, 'estimatorTemplate'>): string =>
  settings.estimatorTemplate === 'rp-v1' ? ROLE_PLAY_TEMPLATE_VERSION : ESTIMATOR_TEMPLATE_VERSION;

export type ManifestInput = Omit<ResultsManifest, 'formatVersion' | 'createdAt' | 'templates'> & {
  /** When the run finished (default now). */
  readonly createdAt?: Date;
};

export function buildManifest({ createdAt = new Date(), ...input }: ManifestInput): ResultsManifest {
  return {
    formatVersion: RESULTS_FORMAT_VERSION,
    ...input,
    createdAt: createdAt.toISOString(),
    templates: {
      policy: ROLE_PLAY_TEMPLATE_VERSION,
      estimator: estimatorTemplateVersion(input.settings),
      ...(input.thought ? { thought: THOUGHT_TEMPLATE_VERSION } : {}),
    },
  };
}
