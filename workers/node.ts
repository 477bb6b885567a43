/**
 * The model service in Node: bundled models read from disk, inference on onnxruntime-node's CPU
 * provider. Used by the integration tests and the command line.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { ModelService } from '../src/protocol/model-service.js';
import type { BundledManifest } from '../src/core/index.js';
import { createModelService, type ModelServiceConfig } from './model-service.js';

export const BUNDLED_MODELS_DIR = fileURLToPath(new URL('../public/models/', import.meta.url));

export function createNodeModelService(
  options: { modelsDir?: string; batchBudget?: ModelServiceConfig['batchBudget'] } = {},
): ModelService {
  const modelsDir = options.modelsDir ?? BUNDLED_MODELS_DIR;
  return createModelService({
    bundledModelPath: modelsDir.endsWith(path.sep) ? modelsDir : modelsDir + path.sep,
    loadManifest: async () =>
      JSON.parse(await readFile(path.join(modelsDir, 'manifest.json'), 'utf8')) as BundledManifest,
    detectDevice: async () => ({ device: 'cpu' }),
    readBundledFile: async (modelId, file) => new Uint8Array(await readFile(path.join(modelsDir, modelId, file))),
    ...(options.batchBudget ? { batchBudget: options.batchBudget } : {}),
  });
}
