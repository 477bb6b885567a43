/**
 * What determines a cached model output. Two requests share a cache entry only when every field
 * here is equal, so a changed model file, dtype, device class or prompt template never serves a
 * stale score.
 */
import type { ChatMessage } from './prompts/prompt.js';
import { hashValue } from './hash.js';

/** The identity of a loaded model, as far as its outputs are concerned. */
export interface ModelFingerprint {
  readonly modelId: string;
  /** SHA-256 over the model's files (bundled models) or the Hub revision it was loaded at. */
  readonly filesHash: string;
  readonly dtype: string;
  /**
   * 'gpu' for WebGPU, 'cpu' for wasm and native CPU: kernels differ between the two classes
   * enough to change the last digits of a log-prob.
   */
  readonly deviceClass: 'gpu' | 'cpu';
  /**
   * The day the chat template prints (YYYY-MM-DD), for templates that print today's date (Llama
   * 3.2's): the same messages render another prompt on another day. Absent for all others, so
   * their keys do not change.
   */
  readonly renderDate?: string;
}

export interface ScoreKeyInput {
  readonly model: ModelFingerprint;
  readonly templateVersion: string;
  readonly context: readonly ChatMessage[];
  readonly response: string;
  /** The unscored text before the response in the assistant turn, when there is one. */
  readonly responsePrefix?: string;
}

export interface GenerationKeyInput {
  readonly model: ModelFingerprint;
  readonly templateVersion: string;
  readonly prompt: readonly ChatMessage[];
  readonly options: Readonly<Record<string, unknown>>;
}

/** An empty or absent prefix hashes like no prefix, so keys made before prefixes existed still hold. */
export const scoreKey = ({ responsePrefix, ...input }: ScoreKeyInput): Promise<string> =>
  hashValue({ kind: 'score', ...input, ...(responsePrefix ? { responsePrefix } : {}) });

export const generationKey = (input: GenerationKeyInput): Promise<string> =>
  hashValue({ kind: 'generation', ...input });

/** The vector of one text under one encoder (the encoder's fingerprint names it and its files). */
export const embeddingKey = (input: { readonly encoder: ModelFingerprint; readonly text: string }): Promise<string> =>
  hashValue({ kind: 'embedding', ...input });
