/**
 * Which precisions a picker may offer on this browser. fp16 and q4f16 weights compute in 16-bit
 * floats: on WebGPU that needs the adapter's `shader-f16` feature, without which onnxruntime-web
 * cannot build their session (headless Chromium's SwiftShader adapter, many integrated GPUs). On
 * wasm (CPU) onnxruntime-web runs them, slowly, so there they stay offered. The rule is pure; the
 * adapter is asked once per page by `gpuFeatures`.
 */
import type { FolderDType } from '../../core/index.js';
import type { DeviceChoice } from './explore-state.svelte.js';

/** What the browser's WebGPU adapter offers, as the main thread sees it. */
export interface GpuFeatures {
  /** Whether there is an adapter at all (`auto` then runs models on WebGPU). */
  readonly adapter: boolean;
  /** Whether that adapter has 16-bit float shaders. */
  readonly shaderF16: boolean;
}

/** Weights whose arithmetic is in 16-bit floats. */
export const needsShaderF16 = (dtype: FolderDType): boolean => dtype === 'fp16' || dtype === 'q4f16';

/**
 * Whether a model loaded with this device choice would run on WebGPU; null while the adapter is
 * not known yet. `webgpu` without an adapter fails over to wasm in the model service, as `auto` does.
 */
export function runsOnWebGpu(choice: DeviceChoice, gpu: GpuFeatures | null): boolean | null {
  if (choice === 'wasm' || choice === 'cpu') return false;
  return gpu === null ? null : gpu.adapter;
}

export interface PrecisionOption {
  readonly dtype: FolderDType;
  /** Why it cannot be picked on this device; absent when it can. */
  readonly unavailable?: string;
}

export const NO_SHADER_F16 = 'this GPU has no 16-bit float shaders (shader-f16)';
export const GPU_UNKNOWN = "checking this browser's GPU";

/** The precisions in `dtypes` (same order), each with why it cannot run here if it cannot. */
export function precisionOptions(
  dtypes: readonly FolderDType[],
  choice: DeviceChoice,
  gpu: GpuFeatures | null,
): PrecisionOption[] {
  const webgpu = runsOnWebGpu(choice, gpu);
  return dtypes.map((dtype) => {
    if (!needsShaderF16(dtype) || webgpu === false) return { dtype };
    // Until the adapter answers, an f16 pick might be one the GPU cannot run: wait for it.
    if (webgpu === null) return { dtype, unavailable: GPU_UNKNOWN };
    return gpu!.shaderF16 ? { dtype } : { dtype, unavailable: NO_SHADER_F16 };
  });
}

/**
 * fp16 and q4f16 fall back to the same weights with 32-bit float arithmetic: q4f16 is q4's
 * 4-bit weights with fp16 activations, fp16 is fp32 halved.
 */
const F32_COUNTERPART: Partial<Record<FolderDType, FolderDType>> = { q4f16: 'q4', fp16: 'fp32' };

/**
 * The precision to show as picked: `wanted` (the user's pick, else the model's default) when it
 * can run here, else its 32-bit float counterpart when offered, else the first offered one;
 * undefined when none can run.
 */
export function pickPrecision(
  wanted: FolderDType | undefined,
  options: readonly PrecisionOption[],
): FolderDType | undefined {
  const offered = options.filter((o) => o.unavailable === undefined).map((o) => o.dtype);
  if (wanted !== undefined && offered.includes(wanted)) return wanted;
  const counterpart = wanted === undefined ? undefined : F32_COUNTERPART[wanted];
  if (counterpart !== undefined && offered.includes(counterpart)) return counterpart;
  return offered[0];
}

/** The part of `navigator.gpu` used here. */
export interface GpuLike {
  requestAdapter(): Promise<{ readonly features: { has(feature: string): boolean } } | null>;
}

/** Asks `gpu` (the browser's `navigator.gpu`, absent without WebGPU) for an adapter and its features. */
export async function probeGpuFeatures(gpu: GpuLike | undefined): Promise<GpuFeatures> {
  if (!gpu) return { adapter: false, shaderF16: false };
  try {
    const adapter = await gpu.requestAdapter();
    return { adapter: adapter !== null, shaderF16: adapter?.features.has('shader-f16') ?? false };
  } catch {
    // A browser that throws here has no usable adapter; the model worker will say the same.
    return { adapter: false, shaderF16: false };
  }
}

let probe: Promise<GpuFeatures> | undefined;

/** This browser's adapter features, asked once per page (the answer does not change). */
export function gpuFeatures(): Promise<GpuFeatures> {
  probe ??= probeGpuFeatures((globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu);
  return probe;
}
