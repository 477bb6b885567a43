/**
 * The rule behind every precision picker: fp16 and q4f16 are not offered where the model would
 * run on a WebGPU adapter without shader-f16, and the picked precision falls back to one that runs.
 */
import { describe, expect, it } from 'vitest';
import type { FolderDType } from '../../../../src/core/index.js';
import { CURATED_MODELS } from '../../../../src/lib/state/curated-models.js';
import {
  GPU_UNKNOWN,
  NO_SHADER_F16,
  needsShaderF16,
  pickPrecision,
  precisionOptions,
  probeGpuFeatures,
  runsOnWebGpu,
  type GpuFeatures,
  type GpuLike,
} from '../../../../src/lib/state/precision-support.js';

const ALL: FolderDType[] = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'];
/** Headless Chromium with --enable-unsafe-webgpu: SwiftShader, no 16-bit float shaders. */
const SWIFTSHADER: GpuFeatures = { adapter: true, shaderF16: false };
const F16_GPU: GpuFeatures = { adapter: true, shaderF16: true };
const NO_ADAPTER: GpuFeatures = { adapter: false, shaderF16: false };

/** The dtypes offered, and those refused with their reason. */
const split = (options: ReturnType<typeof precisionOptions>) => ({
  offered: options.filter((o) => !o.unavailable).map((o) => o.dtype),
  refused: Object.fromEntries(options.filter((o) => o.unavailable).map((o) => [o.dtype, o.unavailable])),
});

describe('precisionOptions', () => {
  it('refuses fp16 and q4f16 where the model runs on a WebGPU adapter without shader-f16', () => {
    for (const choice of ['auto', 'webgpu'] as const) {
      expect(split(precisionOptions(ALL, choice, SWIFTSHADER))).toEqual({
        offered: ['fp32', 'q8', 'q4'],
        refused: { fp16: NO_SHADER_F16, q4f16: NO_SHADER_F16 },
      });
    }
  });

  it('offers every precision where the model runs on wasm (fp16 runs there, slowly) or the GPU has shader-f16', () => {
    const everything = { offered: ALL, refused: {} };
    expect(split(precisionOptions(ALL, 'wasm', SWIFTSHADER))).toEqual(everything);
    expect(split(precisionOptions(ALL, 'wasm', null))).toEqual(everything);
    // No adapter: auto picks wasm, and an asked-for WebGPU fails over to wasm.
    expect(split(precisionOptions(ALL, 'auto', NO_ADAPTER))).toEqual(everything);
    expect(split(precisionOptions(ALL, 'webgpu', NO_ADAPTER))).toEqual(everything);
    expect(split(precisionOptions(ALL, 'auto', F16_GPU))).toEqual(everything);
    expect(split(precisionOptions(ALL, 'webgpu', F16_GPU))).toEqual(everything);
  });

  it('holds fp16 and q4f16 back until the adapter has answered, where WebGPU may be used', () => {
    expect(split(precisionOptions(ALL, 'auto', null)).refused).toEqual({ fp16: GPU_UNKNOWN, q4f16: GPU_UNKNOWN });
  });

  it('keeps the order it was given', () => {
    const order: FolderDType[] = ['q4f16', 'q8', 'fp16', 'fp32'];
    expect(precisionOptions(order, 'auto', SWIFTSHADER).map((o) => o.dtype)).toEqual(order);
  });
});

it('runsOnWebGpu follows the model service: auto and webgpu use an adapter when there is one', () => {
  expect(runsOnWebGpu('auto', SWIFTSHADER)).toBe(true);
  expect(runsOnWebGpu('webgpu', NO_ADAPTER)).toBe(false);
  expect(runsOnWebGpu('wasm', F16_GPU)).toBe(false);
  expect(runsOnWebGpu('auto', null)).toBeNull();
  expect(ALL.filter(needsShaderF16)).toEqual(['fp16', 'q4f16']);
});

describe('pickPrecision', () => {
  const onSwiftShader = (dtypes: FolderDType[]) => precisionOptions(dtypes, 'auto', SWIFTSHADER);

  it('keeps a precision the device runs', () => {
    expect(pickPrecision('q8', onSwiftShader(ALL))).toBe('q8');
    expect(pickPrecision('q4f16', precisionOptions(ALL, 'auto', F16_GPU))).toBe('q4f16');
  });

  it('falls back from fp16 weights to the same weights in 32-bit floats, else to the first that runs', () => {
    expect(pickPrecision('q4f16', onSwiftShader(ALL))).toBe('q4');
    expect(pickPrecision('fp16', onSwiftShader(ALL))).toBe('fp32');
    expect(pickPrecision('q4f16', onSwiftShader(['q4f16', 'q8', 'fp32']))).toBe('q8');
    expect(pickPrecision(undefined, onSwiftShader(['fp16', 'q4']))).toBe('q4');
  });

  it('picks nothing when nothing runs', () => {
    expect(pickPrecision('q4f16', onSwiftShader(['q4f16', 'fp16']))).toBeUndefined();
  });

  it('gives every curated model a default that runs on SwiftShader, and the same default where f16 runs', () => {
    for (const m of CURATED_MODELS) {
      const dtypes = m.precisions.map((p) => p.dtype);
      const fallback = pickPrecision(m.defaultDtype, onSwiftShader(dtypes));
      expect(fallback, m.id).toBeDefined();
      expect(needsShaderF16(fallback!), m.id).toBe(false);
      expect(pickPrecision(m.defaultDtype, precisionOptions(dtypes, 'auto', F16_GPU)), m.id).toBe(m.defaultDtype);
    }
    // Qwen3's and Llama's default is q4f16: on SwiftShader they start at q4.
    const qwen3 = CURATED_MODELS.find((m) => m.id === 'onnx-community/Qwen3-0.6B-ONNX')!;
    expect(pickPrecision(qwen3.defaultDtype, onSwiftShader(qwen3.precisions.map((p) => p.dtype)))).toBe('q4');
  });
});

describe('probeGpuFeatures', () => {
  const gpu = (adapter: { features: Set<string> } | null | Error): GpuLike => ({
    requestAdapter: () => (adapter instanceof Error ? Promise.reject(adapter) : Promise.resolve(adapter)),
  });

  it("reads the adapter's shader-f16 feature", async () => {
    expect(await probeGpuFeatures(gpu({ features: new Set(['shader-f16', 'timestamp-query']) }))).toEqual(F16_GPU);
    expect(await probeGpuFeatures(gpu({ features: new Set(['timestamp-query']) }))).toEqual(SWIFTSHADER);
  });

  it('reports no adapter without WebGPU, without an adapter, or when asking fails', async () => {
    expect(await probeGpuFeatures(undefined)).toEqual(NO_ADAPTER);
    expect(await probeGpuFeatures(gpu(null))).toEqual(NO_ADAPTER);
    expect(await probeGpuFeatures(gpu(new Error('GPU process crashed')))).toEqual(NO_ADAPTER);
  });
});
