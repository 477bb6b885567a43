/**
 * Small chat models known to run in transformers.js, for the model manager's Hub list. Sizes are
 * the ONNX weights' download sizes as the Hub's file listing shows them (decimal units, graph plus
 * external data); null where the listing was not at hand, so the manager says "unknown" rather
 * than guessing. Only precisions whose file exists in the repository are listed: asking for
 * another fails with a 404.
 */
import type { FolderDType } from '../core/index.js';

export interface CuratedModel {
  readonly id: string;
  readonly name: string;
  readonly parameters: string;
  /** Precision → download size in bytes (null: size unknown). */
  readonly sizes: Partial<Readonly<Record<FolderDType, number | null>>>;
  /** The precision to offer first. */
  readonly defaultDtype: FolderDType;
  /** Whether a CPU (wasm) is practical, or WebGPU is recommended for its size. */
  readonly webgpu: 'optional' | 'recommended';
  readonly note?: string;
}

const MB = 1e6;
const GB = 1e9;

export const CURATED_MODELS: readonly CuratedModel[] = [
  {
    id: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    name: 'SmolLM2 135M Instruct',
    parameters: '135M',
    sizes: { q4f16: 134 * MB, q4: 200 * MB, fp16: 327 * MB, fp32: 654 * MB },
    defaultDtype: 'q4',
    webgpu: 'optional',
  },
  {
    id: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    name: 'SmolLM2 360M Instruct',
    parameters: '360M',
    sizes: { q4f16: 299 * MB, q4: 417 * MB, fp16: 819 * MB, fp32: 1.64 * GB },
    defaultDtype: 'q4',
    webgpu: 'optional',
  },
  {
    id: 'onnx-community/gemma-3-270m-it-ONNX',
    name: 'Gemma 3 270M (instruction-tuned)',
    parameters: '270M',
    sizes: { q4: null, q8: null, fp32: null },
    defaultDtype: 'q4',
    webgpu: 'optional',
  },
  {
    id: 'onnx-community/Qwen2.5-0.5B-Instruct',
    name: 'Qwen2.5 0.5B Instruct',
    parameters: '494M',
    sizes: { q4f16: 483 * MB, q8: 512 * MB, q4: 786 * MB, fp16: 997 * MB, fp32: 1.99 * GB },
    defaultDtype: 'q8',
    webgpu: 'optional',
  },
  {
    id: 'onnx-community/Qwen3-0.6B-ONNX',
    name: 'Qwen3 0.6B',
    parameters: '0.6B',
    sizes: { q4f16: null, q8: null, q4: null },
    defaultDtype: 'q4f16',
    webgpu: 'recommended',
    note: 'a thinking model: its chat template may add a reasoning block',
  },
  {
    id: 'onnx-community/Llama-3.2-1B-Instruct',
    name: 'Llama 3.2 1B Instruct',
    parameters: '1.23B',
    sizes: { q4f16: 1.07 * GB, q8: 1.24 * GB, q4: 1.66 * GB, fp16: 2.47 * GB, fp32: 4.94 * GB },
    defaultDtype: 'q4f16',
    webgpu: 'recommended',
  },
];

/** fp16 weights (fp16, q4f16) need WebGPU with shader-f16; on wasm they are slow or fail. */
export const needsWebGpu = (dtype: FolderDType): boolean => dtype === 'fp16' || dtype === 'q4f16';
