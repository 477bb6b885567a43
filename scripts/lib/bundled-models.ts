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
  type BundledModelRole,
} from '../../src/core/index.js';

/** The files transformers.js reads for a bundled fp32 model. */
export const MODEL_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
] as const;

/** Each known folder's name, description and role; any other folder is a role-play model named by its id. */
const DESCRIPTIONS: Record<string, { name: string; description: string; role: BundledModelRole }> = {
  'rolescope-tiny-en': {
    name: 'Rolescope tiny (English)',
    description: 'A small GPT-2-style role-play model trained on English persona dialogues only.',
    role: 'role-play',
  },
  'rolescope-tiny-multi': {
    name: 'Rolescope tiny (multilingual)',
    description:
      'The same architecture trained on English plus Chinese, Japanese, Korean, French, Italian and Indonesian dialogues.',
    role: 'role-play',
  },
  'rolescope-corl-estimator': {
    name: 'Rolescope CoRL estimator',
    description:
      'Scores responses after the reasoning r (est-v1 prompt); trained from rolescope-tiny-multi with co-evolving RL (CoRL) on the valid split.',
    role: 'corl-estimator',
  },
  'rolescope-corl-thought': {
    name: 'Rolescope CoRL thought policy',
    description: 'Writes the reasoning r (th-v1 prompt) for the CoRL estimator; trained with it.',
    role: 'corl-thought',
  },
};

/** The English model first (the demo's default), then the other role-play models, then the rest, each by id. */
const ORDER = (m: BundledModelEntry): number => (m.id === 'rolescope-tiny-en' ? 0 : m.role === 'role-play' ? 1 : 2);

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
    const text = DESCRIPTIONS[id] ?? { name: id, description: '', role: 'role-play' };
    models.push({ id, ...text, dtype: 'fp32', files, filesHash: await filesHash(files) });
  }
  models.sort((a, b) => ORDER(a) - ORDER(b) || a.id.localeCompare(b.id));
  return { version: 1, models };
}
