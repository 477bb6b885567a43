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

/**
 * Each known folder's name, description, role and (for the training-method comparison) method; any
 * other folder is a role-play model named by its id.
 */
const DESCRIPTIONS: Record<string, { name: string; description: string; role: BundledModelRole; method?: string }> = {
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
    method: 'SFT',
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
  'rolescope-method-sft': {
    name: 'Rolescope method: SFT, continued',
    description:
      'rolescope-tiny-multi trained further by SFT with the thinking variant’s budget and no thoughts: the control of the training-method comparison.',
    role: 'method-policy',
    method: 'SFT, continued (control)',
  },
  'rolescope-method-think': {
    name: 'Rolescope method: thinking SFT',
    description:
      'rolescope-tiny-multi trained by SFT to write a short thought in <think> tags before its reply; only the reply is scored.',
    role: 'method-policy',
    method: 'thinking SFT',
  },
  'rolescope-method-rl': {
    name: 'Rolescope method: SFT + RL',
    description:
      'rolescope-tiny-multi trained by GRPO with one reward, the word F1 of its reply with the training reply.',
    role: 'method-policy',
    method: 'SFT + RL (GRPO)',
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
