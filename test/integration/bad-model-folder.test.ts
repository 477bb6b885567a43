/**
 * Model folders from the bad-input corpus, loaded by the model service in Node as the command line
 * loads `folder:<name>`: a corrupt or truncated ONNX graph fails with a message that names the
 * file (not onnxruntime's stack), a folder without its tokenizer names what is missing, and a
 * name that leaves the folders' directory is refused before anything is read. The service then
 * loads a good model as before.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODELS_DIR, createNodeModelService } from '../../node/model-host.js';
import { CORPUS_DIR } from '../unit/bad-input/corpus.js';

const MODEL = 'rolescope-tiny-en';
const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-bad-folders-'));
const graph = path.join(BUNDLED_MODELS_DIR, MODEL, 'onnx', 'model.onnx');
/** A copy of the bundled model as a folder, with its graph replaced by `onnx` (when given). */
function folder(name: string, onnx?: Uint8Array): void {
  cpSync(path.join(BUNDLED_MODELS_DIR, MODEL), path.join(dir, name), { recursive: true });
  if (onnx) writeFileSync(path.join(dir, name, 'onnx', 'model.onnx'), onnx);
}
folder('random-bytes', readFileSync(path.join(CORPUS_DIR, 'model-folder', 'corrupt-model.onnx')));
folder('truncated', readFileSync(graph).subarray(0, 1024 * 1024));
folder('no-tokenizer');
rmSync(path.join(dir, 'no-tokenizer', 'tokenizer.json'));

const service = createNodeModelService({ modelFoldersDir: dir });
afterAll(async () => {
  await service.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('bad model folders in Node', () => {
  it.each(['random-bytes', 'truncated'])('names the corrupt graph of %s', async (name) => {
    const error = await service.load({ source: 'folder', id: name }, { device: 'cpu' }).catch((e: Error) => e);
    expect(error).toMatchObject({
      name: 'ModelLoadError',
      message: expect.stringContaining(
        `model folder "${name}" could not be loaded: onnx/model.onnx is not a valid ONNX graph (the file is corrupt or cut short`,
      ),
    });
    expect((error as Error).message).not.toMatch(/\n\s+at /);
  });

  it('says a folder without its tokenizer is missing it', async () => {
    await expect(service.load({ source: 'folder', id: 'no-tokenizer' }, { device: 'cpu' })).rejects.toMatchObject({
      name: 'ModelLoadError',
      message: expect.stringContaining(
        'model folder "no-tokenizer" could not be loaded: this is not a transformers.js model folder: tokenizer.json is missing',
      ),
    });
  });

  it('refuses a folder name that leaves the folders directory', async () => {
    await expect(service.load({ source: 'folder', id: '../../etc' }, { device: 'cpu' })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: '"../../etc" is not a stored model folder\'s name',
    });
  });

  it('loads a good model afterwards', async () => {
    const info = await service.load({ source: 'bundled', id: MODEL }, { device: 'cpu' });
    expect(info.fingerprint.modelId).toBe(`bundled:${MODEL}`);
  });
});
