/**
 * The settings of the next run as the run panel's form edits them (models by name, plain numbers,
 * null for "all" or "estimated"), with their defaults and the one-click demo's.
 */
import type { BundledModelEntry, EstimatorTemplate, MiEstimatorKind, ReasoningMode } from '../../core/index.js';
import type { DeviceName } from '../../protocol/model-service.js';

export interface RunOptions {
  policies: string[];
  estimator: string;
  estimatorKind: MiEstimatorKind;
  /**
   * rp-v1 is the role-play prompt the bundled models were trained on; est-v1 is the paper's
   * estimator prompt (docs/method.md section 2), the only one with a place for the reasoning r.
   */
  estimatorTemplate: EstimatorTemplate;
  reasoning: ReasoningMode;
  /** The model that writes r when `reasoning` is generate; empty for the estimator itself. */
  thought: string;
  maxPairs: number;
  seed: number;
  bootstrapReplicates: number;
  /** Samples per category; null for all. */
  limitPerCategory: number | null;
  /** Compute the upper bound, embedding texts with this bundled model's input embeddings. */
  bound: boolean;
  encoder: string;
  /** Ĥ in nats per token instead of its estimate; null to estimate it. */
  hHatOverride: number | null;
  device: DeviceName | 'auto';
}

export const DEFAULT_OPTIONS: RunOptions = {
  policies: [],
  estimator: '',
  estimatorKind: 'reference',
  estimatorTemplate: 'rp-v1',
  reasoning: 'none',
  thought: '',
  maxPairs: 1000,
  seed: 42,
  bootstrapReplicates: 1000,
  limitPerCategory: null,
  bound: true,
  encoder: '',
  hHatOverride: null,
  device: 'auto',
};

/**
 * The one-click demo: the default models (defaultModels) on the first 4 samples of each category,
 * 12 mismatched pairs and 200 bootstrap replicates, so a laptop CPU finishes in about a minute.
 */
export const DEMO_OPTIONS = { limitPerCategory: 4, maxPairs: 12, bootstrapReplicates: 200 } as const;

/** What the run panel needs to know of a bundled model: its id and what it is for. */
export type BundledModelInfo = Pick<BundledModelEntry, 'id' | 'role' | 'method'>;

/**
 * The default models of a run: every bundled role-play model answers as a policy, and the last of
 * them scores and encodes. The CoRL estimator and thought policy are never default policies.
 */
export function defaultModels(
  bundled: readonly BundledModelInfo[],
): Pick<RunOptions, 'policies' | 'estimator' | 'encoder'> {
  const policies = bundled.filter((m) => m.role === 'role-play').map((m) => m.id);
  const last = policies[policies.length - 1] ?? '';
  return { policies, estimator: last, encoder: last };
}

/**
 * The CoRL preset: the bundled CoRL estimator scoring after a reasoning r that the CoRL thought
 * policy writes (reasoning generate, the est-v1 prompt); null unless both are bundled.
 */
export function corlPreset(
  bundled: readonly BundledModelInfo[],
): Pick<RunOptions, 'estimator' | 'reasoning' | 'thought' | 'estimatorTemplate'> | null {
  const estimator = bundled.find((m) => m.role === 'corl-estimator');
  const thought = bundled.find((m) => m.role === 'corl-thought');
  if (!estimator || !thought) return null;
  return { estimator: estimator.id, reasoning: 'generate', thought: thought.id, estimatorTemplate: 'est-v1' };
}

/**
 * The training-method comparison: every bundled policy labelled with a training method (the
 * method policies and the base they were trained from) as the policies, scored by the CoRL
 * estimator with its reasoning where the pair is bundled (else the estimator fields stay); null
 * unless a method policy is bundled.
 */
export function methodsPreset(
  bundled: readonly BundledModelInfo[],
): (Pick<RunOptions, 'policies'> & Partial<ReturnType<typeof corlPreset>>) | null {
  if (!bundled.some((m) => m.role === 'method-policy')) return null;
  const policies = bundled.filter(
    (m) => m.method !== undefined && m.role !== 'corl-estimator' && m.role !== 'corl-thought',
  );
  return { policies: policies.map((m) => m.id), ...corlPreset(bundled) };
}
