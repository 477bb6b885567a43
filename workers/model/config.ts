/**
 * The model service's settings, given by its host (the browser worker or Node), and the batch
 * budget scoring uses where the host sets none.
 */
import type { DeviceName, ModelRef } from '../../src/protocol/model-service.js';
import type { BatchBudget, BundledManifest, ModelFolderManifest } from '../../src/core/index.js';
import type { HubCommitResolver } from './hub-commit.js';

export interface ModelServiceConfig {
  /** Folder of the bundled models: '/models/' (a URL path) in the browser, an absolute path in Node. */
  readonly bundledModelPath: string;
  readonly loadManifest: () => Promise<BundledManifest>;
  /** What 'auto' resolves to on this platform. */
  readonly detectDevice: () => Promise<{ device: DeviceName; note?: string }>;
  /** The bytes of a file inside a bundled model's folder (the bundled encoder reads its ONNX file). */
  readonly readBundledFile: (modelId: string, file: string) => Promise<Uint8Array>;
  /** Folder of the stored model folders ('/model-folders/' in the browser), if this platform has them. */
  readonly folderModelPath?: string;
  /** A stored model folder's description (its files' hashes), written when it was stored. */
  readonly readFolderManifest?: (name: string) => Promise<ModelFolderManifest>;
  /**
   * Sets where transformers.js may look before a load (the browser keeps only Hub downloads in
   * transformers.js's own cache: bundled files and folders are the app's already).
   */
  readonly beforeLoad?: (ref: ModelRef) => void;
  /** Names the commit a Hub revision points to (default: ask the Hub's API). */
  readonly resolveHubCommit?: HubCommitResolver;
  readonly batchBudget?: Partial<BatchBudget>;
  /**
   * Score a context's responses continuing from one pass over the context (default true); false
   * runs every sequence whole, packed by length (equivalence tests).
   */
  readonly shareContexts?: boolean;
  /**
   * 'reference' scores the reference algorithm's way, for benchmarks: every (context, response)
   * pair a whole forward pass of its own, with logits at every position.
   */
  readonly engine?: 'optimized' | 'reference';
  /** 'javascript' skips the native token-stats graph (benchmarks compare the two). */
  readonly tokenStats?: 'native' | 'javascript';
  /**
   * The bytes of a file in a bundled model's or a stored folder's model (not Hub downloads): the
   * ONNX graph read again to fuse the token statistics into it. Without it, scoring gathers logits.
   */
  readonly readModelFile?: (ref: ModelRef, file: string) => Promise<Uint8Array>;
  /** false gathers logits for the token statistics even where they could be fused (tests compare the two). */
  readonly fuseTokenStats?: boolean;
  /** Today, for chat templates that print the date (tests fix it); read when a model loads. */
  readonly now?: () => Date;
}

/** What scoring reads of the settings. */
export type ScoreSettings = Pick<ModelServiceConfig, 'batchBudget' | 'engine'>;

/** Defaults sized for a laptop: ~64 MiB of logits and 8k padded tokens per forward pass. */
export const DEFAULT_BUDGET = { maxPaddedTokens: 8192, maxLogitFloats: 16 * 1024 * 1024, maxBatchSize: 32 };
