/**
 * The model service in a browser worker: onnxruntime-web's wasm from our own origin (never a CDN),
 * bundled models from `/models/`, and `auto` resolved to WebGPU when an adapter exists. Both the
 * model worker (first screen) and the evaluation worker (runs) start their service here.
 */
import { env } from '@huggingface/transformers';
import ortWasmModuleUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasmBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { BundledManifest, ModelFolderManifest } from '../../src/core/index.js';
import type { DeviceName, ModelService } from '../../src/protocol/model-service.js';
import { folderModelPath, ModelFolderStore } from '../../src/storage/model-folder-store.js';
import { createModelService, type ModelServiceConfig } from './service.js';

interface GpuLike {
  requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null>;
}

async function detectDevice(): Promise<{ device: DeviceName; note?: string }> {
  const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (!gpu) return { device: 'wasm', note: 'this browser has no WebGPU: running on wasm (CPU)' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { device: 'wasm', note: 'no WebGPU adapter is available: running on wasm (CPU)' };
    const { vendor, architecture, description } = adapter.info ?? {};
    const name = [vendor, architecture, description].filter(Boolean).join(' ') || 'unknown adapter';
    return { device: 'webgpu', note: `WebGPU adapter: ${name}` };
  } catch (error) {
    return { device: 'wasm', note: `WebGPU failed to start (${(error as Error).message}): running on wasm` };
  }
}

/**
 * Where model folders come from, when not from the browser's folder store: a URL path serving
 * folders in the transformers.js layout, and their descriptions (the conformance tests).
 */
export interface FolderSource {
  readonly path: string;
  readonly readManifest: (name: string) => Promise<ModelFolderManifest>;
}

/** `overrides` change the service's settings (benchmarks, tests); the app takes the defaults. */
export function createBrowserModelService(
  overrides: Pick<ModelServiceConfig, 'tokenStats' | 'now' | 'shareContexts' | 'batchBudget'> & {
    folders?: FolderSource;
  } = {},
): ModelService {
  const { folders: folderSource, ...settings } = overrides;
  const onnxWasm = env.backends.onnx.wasm as { wasmPaths?: unknown; numThreads?: number };
  onnxWasm.wasmPaths = { mjs: ortWasmModuleUrl, wasm: ortWasmBinaryUrl };
  // Threads need cross-origin isolation (SharedArrayBuffer); without it run single-threaded.
  onnxWasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;

  const modelsUrl = new URL(`${import.meta.env.BASE_URL}models/`, self.location.origin);
  const folders = new ModelFolderStore(import.meta.env.BASE_URL);
  // transformers.js asks a bundled file's size with a full GET whose body it never reads, then
  // fetches the file again. Both go to the HTTP cache; the abandoned one fails its cache write and
  // can take the real download down with it (net::ERR_CACHE_WRITE_FAILURE, "network error" on a
  // first visit). Bundled files skip the HTTP cache: the app's service worker keeps them offline.
  // Stored model folders are answered from Cache Storage: they never existed on any server.
  const modelFetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input), self.location.origin);
    if (folders.owns(url)) return folders.respond(url.href);
    const bundled = url.origin === modelsUrl.origin && url.pathname.startsWith(modelsUrl.pathname);
    return fetch(input, bundled ? { ...init, cache: 'no-store' } : init);
  };
  (env as { fetch: typeof fetch }).fetch = modelFetch;
  const read = async (url: URL) => {
    const response = await modelFetch(url);
    if (!response.ok) throw new Error(`${url.pathname} could not be read (HTTP ${response.status})`);
    return new Uint8Array(await response.arrayBuffer());
  };
  // onnxruntime's wasm is the app's own file, precached by its service worker: no second copy.
  env.useWasmCache = false;
  const foldersPath = folderSource?.path ?? folderModelPath(import.meta.env.BASE_URL);
  return createModelService({
    ...settings,
    bundledModelPath: modelsUrl.pathname,
    loadManifest: async () => {
      const response = await fetch(new URL('manifest.json', modelsUrl));
      if (!response.ok) throw new Error(`the bundled model list could not be read (HTTP ${response.status})`);
      return (await response.json()) as BundledManifest;
    },
    detectDevice,
    folderModelPath: foldersPath,
    readFolderManifest: folderSource?.readManifest ?? ((name) => folders.read(name)),
    // transformers.js's own cache keeps only Hub downloads: bundled files are precached by the
    // service worker and folders are in the folder store, so a copy would double their size.
    beforeLoad: (ref) => {
      env.useBrowserCache = ref.source === 'hub';
    },
    readBundledFile: (modelId, file) => read(new URL(`${modelId}/${file}`, modelsUrl)),
    readModelFile: async (ref, file) => {
      if (ref.source === 'hub') throw new Error('Hub downloads are read by transformers.js only');
      const base = ref.source === 'bundled' ? modelsUrl : new URL(foldersPath, self.location.origin);
      return read(new URL(`${ref.id}/${file}`, base));
    },
  });
}
