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

export interface BundledModelEntry {
  readonly id: string;
  readonly name: string;
  readonly description: string;
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
