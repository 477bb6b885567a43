/**
 * The bundled models' manifest (`public/models/manifest.json`): which demo models ship with the
 * app and a SHA-256 of each of their files. The files hash identifies a model's outputs in cache
 * keys, so a retrained model never reuses an old model's scores.
 */
import { hashValue } from '../hash.js';

export interface BundledModelFile {
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * What a bundled model is for. `role-play` models answer as the character: they are the default
 * policies (and the last of them the default estimator and encoder). The CoRL pair are an
 * estimator q(y | x, r) that scores with the est-v1 prompt after a reasoning r
 * (`corl-estimator`) and the thought policy trained with it to write that r from x with the th-v1
 * prompt (`corl-thought`); they are offered as estimator and thought model, not as default
 * policies. `method-policy` models are role-play policies trained from one base by another method
 * (more SFT, thinking SFT, RL) for the training-method comparison: policies, but not defaults.
 */
export type BundledModelRole = 'role-play' | 'corl-estimator' | 'corl-thought' | 'method-policy';

export interface BundledModelEntry {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly role: BundledModelRole;
  /**
   * How a policy of the training-method comparison was trained (e.g. "SFT", "SFT + RL (GRPO)"):
   * set on the method policies and on the base they were all trained from, absent elsewhere.
   */
  readonly method?: string;
  /** The dtype whose ONNX file ships (fp32 → onnx/model.onnx). */
  readonly dtype: 'fp32';
  /** Relative path inside the model folder → hash and size. */
  readonly files: Readonly<Record<string, BundledModelFile>>;
  readonly filesHash: string;
}

export interface BundledManifest {
  readonly version: 1;
  readonly models: readonly BundledModelEntry[];
}

/** The hash over a model's files: their paths, sizes and contents' hashes, order-independent. */
export const filesHash = (files: Readonly<Record<string, BundledModelFile>>): Promise<string> => hashValue(files);
