/**
 * A model folder in the transformers.js layout loads as `folder:<name>` and scores exactly as the
 * same files do as a bundled model; a folder with a corrupt graph or no tokenizer fails with a
 * message that says which.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODELS_DIR, createNodeModelService, readModelFolder } from '../../node/model-host.js';
import type { BundledManifest } from '../../src/core/index.js';

const MODEL = 'rolescope-tiny-en';
const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-folders-'));
cpSync(path.join(BUNDLED_MODELS_DIR, MODEL), path.join(dir, 'copy'), { recursive: true });
const service = createNodeModelService({ modelFoldersDir: dir });
afterAll(async () => {
  await service.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const group = {
  context: [
    { role: 'system' as const, content: 'You are Ava, a cheerful baker.' },
    { role: 'user' as const, content: 'What did you bake today?' },
  ],
  responses: ['I baked bread this morning.', 'Nothing at all, sadly.'],
};

describe('model folders in Node', () => {
  it('describes the folder with the bundled manifest’s file hashes', async () => {
    const bundled = (
      JSON.parse(readFileSync(path.join(BUNDLED_MODELS_DIR, 'manifest.json'), 'utf8')) as BundledManifest
    ).models.find((m) => m.id === MODEL)!;
    const folder = await readModelFolder(path.join(dir, 'copy'), 'copy');
    // The folder also keeps special_tokens_map.json, which the bundled manifest does not list.
    for (const [file, entry] of Object.entries(bundled.files)) expect(folder.files[file]).toEqual(entry);
    expect(folder.dtypes).toEqual(['fp32']);
  });

  it('scores exactly as the bundled model with the same files', async () => {
    const asFolder = await service.load({ source: 'folder', id: 'copy' }, { device: 'cpu' });
    expect(asFolder.fingerprint.modelId).toBe('folder:copy');
    expect(asFolder.fingerprint.dtype).toBe('fp32');
    const folderScores = (await service.score([group])).groups[0]!;
    await service.load({ source: 'bundled', id: MODEL }, { device: 'cpu' });
    const bundledScores = (await service.score([group])).groups[0]!;
    folderScores.forEach((s, i) => {
      expect(Array.from(s.logProbs)).toEqual(Array.from(bundledScores[i]!.logProbs));
      expect(s.meanLogProb).toBe(bundledScores[i]!.meanLogProb);
    });
  });

  it('says what is wrong with a broken folder', async () => {
    cpSync(path.join(dir, 'copy'), path.join(dir, 'corrupt'), { recursive: true });
    writeFileSync(path.join(dir, 'corrupt', 'onnx', 'model.onnx'), 'this is not a graph');
    await expect(service.load({ source: 'folder', id: 'corrupt' }, { device: 'cpu' })).rejects.toMatchObject({
      name: 'ModelLoadError',
      message: expect.stringContaining('model folder "corrupt" could not be loaded'),
    });
    cpSync(path.join(dir, 'copy'), path.join(dir, 'no-tokenizer'), { recursive: true });
    rmSync(path.join(dir, 'no-tokenizer', 'tokenizer.json'));
    await expect(service.load({ source: 'folder', id: 'no-tokenizer' }, { device: 'cpu' })).rejects.toMatchObject({
      name: 'ModelLoadError',
      message: expect.stringContaining(
        'model folder "no-tokenizer" could not be loaded: this is not a transformers.js model folder: tokenizer.json is missing',
      ),
    });
    await expect(service.load({ source: 'folder', id: 'absent' }, { device: 'cpu' })).rejects.toMatchObject({
      name: 'ModelNotFoundError',
    });
  });
});
