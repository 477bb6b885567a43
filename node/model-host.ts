/**
 * The model service in Node: bundled models read from disk, inference on onnxruntime-node's CPU
 * provider. Used by the integration tests and the command line.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { ModelService } from '../src/protocol/model-service.js';
import {
  describeModelFolder,
  planModelFolder,
  type BundledManifest,
  type ModelFolderManifest,
} from '../src/core/index.js';
import { createModelService, type ModelServiceConfig } from '../workers/model/service.js';

export const BUNDLED_MODELS_DIR = fileURLToPath(new URL('../public/models/', import.meta.url));

/** Describes a model folder on disk as the browser's folder store does (files, hashes, precisions). */
export async function readModelFolder(folder: string, name = path.basename(folder)): Promise<ModelFolderManifest> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const full = path.join(e.parentPath, e.name);
        return { path: path.relative(folder, full).split(path.sep).join('/'), full, bytes: (await stat(full)).size };
      }),
  );
  const plan = planModelFolder(files);
  return describeModelFolder(plan, name, async (f) => new Uint8Array(await readFile(f.full)));
}

export function createNodeModelService(
  options: {
    modelsDir?: string;
    /** Where `folder:<name>` models are: `<modelFoldersDir>/<name>/` in the transformers.js layout. */
    modelFoldersDir?: string;
    batchBudget?: ModelServiceConfig['batchBudget'];
    shareContexts?: boolean;
    engine?: ModelServiceConfig['engine'];
    fuseTokenStats?: boolean;
    now?: ModelServiceConfig['now'];
  } = {},
): ModelService {
  const modelsDir = options.modelsDir ?? BUNDLED_MODELS_DIR;
  return createModelService({
    bundledModelPath: withSep(modelsDir),
    loadManifest: async () =>
      JSON.parse(await readFile(path.join(modelsDir, 'manifest.json'), 'utf8')) as BundledManifest,
    detectDevice: async () => ({ device: 'cpu' }),
    readBundledFile: async (modelId, file) => new Uint8Array(await readFile(path.join(modelsDir, modelId, file))),
    readModelFile: async (ref, file) => {
      const dir = ref.source === 'bundled' ? modelsDir : ref.source === 'folder' ? options.modelFoldersDir : undefined;
      if (!dir) throw new Error(`${ref.source} models have no files here`);
      return new Uint8Array(await readFile(path.join(dir, ref.id, file)));
    },
    ...(options.modelFoldersDir
      ? {
          folderModelPath: withSep(options.modelFoldersDir),
          readFolderManifest: (name: string) => readModelFolder(path.join(options.modelFoldersDir!, name), name),
        }
      : {}),
    ...(options.batchBudget ? { batchBudget: options.batchBudget } : {}),
    ...(options.shareContexts !== undefined ? { shareContexts: options.shareContexts } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
    ...(options.fuseTokenStats !== undefined ? { fuseTokenStats: options.fuseTokenStats } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

const withSep = (dir: string) => (dir.endsWith(path.sep) ? dir : dir + path.sep);
