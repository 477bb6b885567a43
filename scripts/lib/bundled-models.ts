/**
 * Reads the bundled model folders and describes them as the manifest does. Shared by the
 * manifest builder and the test that keeps the manifest honest.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  filesHash,
  sha256Hex,
  type BundledManifest,
  type BundledModelEntry,
  type BundledModelFile,
} from '../../src/core/index.js';

/** The files transformers.js reads for a bundled fp32 model. */
export const MODEL_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
] as const;

const DESCRIPTIONS: Record<string, { name: string; description: string }> = {
  'rolescope-tiny-en': {
    name: 'Rolescope tiny (English)',
    description: 'A small GPT-2-style role-play model trained on English persona dialogues only.',
  },
  'rolescope-tiny-multi': {
    name: 'Rolescope tiny (multilingual)',
    description:
      'The same architecture trained on English plus Chinese, Japanese, Korean, French, Italian and Indonesian dialogues.',
  },
};

export async function describeBundledModels(modelsDir: string): Promise<BundledManifest> {
  const folders = (await readdir(modelsDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const models: BundledModelEntry[] = [];
  for (const id of folders) {
    const files: Record<string, BundledModelFile> = {};
    for (const file of MODEL_FILES) {
      const full = path.join(modelsDir, id, file);
      const bytes = await readFile(full);
      files[file] = { sha256: await sha256Hex(bytes), bytes: (await stat(full)).size };
    }
    const text = DESCRIPTIONS[id] ?? { name: id, description: '' };
    models.push({ id, ...text, dtype: 'fp32', files, filesHash: await filesHash(files) });
  }
  // The English model first: it is the demo's default.
  models.sort((a, b) =>
    a.id === 'rolescope-tiny-en' ? -1 : b.id === 'rolescope-tiny-en' ? 1 : a.id.localeCompare(b.id),
  );
  return { version: 1, models };
}
