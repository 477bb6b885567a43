import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeModelFolder,
  isOnnxModel,
  externalDataChunks,
  filesHash,
  folderDType,
  folderName,
  modelName,
  modelRef,
  planModelFolder,
  sha256Hex,
  validateRef,
  type ModelRef,
} from '../../../../src/core/index.js';
import { CORPUS_DIR } from '../../bad-input/corpus.js';

const BUNDLED_MODELS_DIR = 'public/models';

const file = (path: string, bytes = 10) => ({ path, bytes });
const MODEL = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

describe('planModelFolder', () => {
  it('keeps what transformers.js reads and strips the folder the picker included', () => {
    const plan = planModelFolder([
      ...MODEL.map((p) => file(`My-Model/${p}`)),
      file('My-Model/generation_config.json', 5),
      file('My-Model/README.md'),
      file('My-Model/model.safetensors', 1000),
      file('My-Model/onnx/model_q4.onnx', 3),
      file('My-Model/onnx/decoder_model.onnx'),
    ]);
    expect(plan.root).toBe('My-Model');
    expect([...plan.keep.keys()].sort()).toEqual(
      [
        'config.json',
        'generation_config.json',
        'onnx/model.onnx',
        'onnx/model_q4.onnx',
        'tokenizer.json',
        'tokenizer_config.json',
      ].sort(),
    );
    expect([...plan.skipped].sort()).toEqual(['README.md', 'model.safetensors', 'onnx/decoder_model.onnx']);
    expect(plan.dtypes).toEqual(['fp32', 'q4']);
    expect(plan.totalBytes).toBe(4 * 10 + 5 + 3);
  });

  it('takes paths without the folder (files dropped from inside it)', () => {
    const plan = planModelFolder(MODEL.map((p) => file(p)));
    expect(plan.root).toBeNull();
    expect(plan.keep.size).toBe(4);
  });

  it('names what is missing', () => {
    expect(() => planModelFolder([])).toThrow('the folder is empty');
    expect(() => planModelFolder(MODEL.filter((p) => p !== 'tokenizer.json').map((p) => file(`m/${p}`)))).toThrow(
      /tokenizer\.json is missing/,
    );
    expect(() => planModelFolder(MODEL.slice(0, 3).map((p) => file(p)))).toThrow(/no ONNX graph/);
    expect(() => planModelFolder([...MODEL.map((p) => file(p)), file('onnx/model_fp16.onnx_data')])).toThrow(
      'onnx/model_fp16.onnx_data has no onnx/model_fp16.onnx beside it',
    );
    expect(() => planModelFolder([...MODEL.slice(1).map((p) => file(p)), file('config.json', 0)])).toThrow(
      'config.json is empty',
    );
    expect(() => planModelFolder([...MODEL.map((p) => file(p)), file('onnx/../../etc/passwd')])).toThrow(
      /not a plain path/,
    );
  });

  it('counts external data chunks per precision', () => {
    const files = Object.fromEntries(
      [...MODEL, 'onnx/model.onnx_data', 'onnx/model.onnx_data_1', 'onnx/model_q4.onnx'].map((p) => [
        p,
        { sha256: '', bytes: 1 },
      ]),
    );
    expect(externalDataChunks({ files }, 'fp32')).toBe(2);
    expect(externalDataChunks({ files }, 'q4')).toBe(0);
  });
});

describe('folderDType', () => {
  it('prefers small precisions that suit the device, and the model’s own choice when present', () => {
    const manifest = { dtypes: ['q8', 'fp32', 'q4f16'] as const };
    expect(folderDType(manifest, 'cpu')).toBe('q8');
    expect(folderDType(manifest, 'gpu')).toBe('q4f16');
    expect(folderDType(manifest, 'gpu', 'fp32')).toBe('fp32');
    expect(folderDType(manifest, 'gpu', 'q4')).toBe('q4f16');
  });
});

describe('describeModelFolder', () => {
  it('hashes every kept file as the bundled manifest does', async () => {
    const contents: Record<string, string> = {
      'm/config.json': '{}',
      'm/tokenizer.json': '{"a":1}',
      'm/tokenizer_config.json': '{"b":2}',
      // The smallest ModelProto with a graph: field 7, length 0.
      'm/onnx/model.onnx': ':\u0000',
    };
    const plan = planModelFolder(Object.entries(contents).map(([path, text]) => ({ path, bytes: text.length, text })));
    const seen: string[] = [];
    const manifest = await describeModelFolder(
      plan,
      'm',
      async (f) => new TextEncoder().encode(f.text),
      (path) => seen.push(path),
      1234,
    );
    const expected = Object.fromEntries(
      await Promise.all(
        Object.entries(contents).map(async ([path, text]) => [
          path.slice(2),
          { sha256: await sha256Hex(text), bytes: text.length },
        ]),
      ),
    );
    expect(manifest.files).toEqual(expected);
    expect(manifest.filesHash).toBe(await filesHash(expected));
    expect(manifest).toMatchObject({ version: 1, name: 'm', dtypes: ['fp32'], addedAt: 1234, totalBytes: 18 });
    expect(seen.sort()).toEqual(Object.keys(expected).sort());
  });

  it('refuses an ONNX graph that is not one: random bytes, cut short, or without a graph', async () => {
    const real = new Uint8Array(readFileSync(path.join(BUNDLED_MODELS_DIR, 'rolescope-tiny-en', 'onnx', 'model.onnx')));
    expect(isOnnxModel(real)).toBe(true);
    expect(isOnnxModel(real.subarray(0, 1024 * 1024))).toBe(false);
    expect(isOnnxModel(new Uint8Array(readFileSync(path.join(CORPUS_DIR, 'model-folder', 'corrupt-model.onnx'))))).toBe(
      false,
    );
    expect(isOnnxModel(new Uint8Array())).toBe(false);
    // ir_version alone: well formed, but no graph.
    expect(isOnnxModel(Uint8Array.from([0x08, 0x07]))).toBe(false);
    const bytes = { 'onnx/model.onnx': real.subarray(0, 4096) } as Record<string, Uint8Array>;
    const plan = planModelFolder(MODEL.map((p) => file(p, bytes[p]?.length ?? 2)));
    await expect(
      describeModelFolder(plan, 'm', async (f) => bytes[f.path] ?? new TextEncoder().encode('{}')),
    ).rejects.toThrow('onnx/model.onnx is not a valid ONNX graph (the file is corrupt or cut short');
  });

  it('refuses a file whose size changed while it was read', async () => {
    const plan = planModelFolder(MODEL.map((p) => file(p, 3)));
    await expect(describeModelFolder(plan, 'm', async () => new Uint8Array(2))).rejects.toThrow(/changed/);
  });
});

describe('model names and refs', () => {
  it('round-trips each source', () => {
    const refs: ModelRef[] = [
      { source: 'bundled', id: 'rolescope-tiny-en' },
      { source: 'hub', id: 'HuggingFaceTB/SmolLM2-135M-Instruct' },
      { source: 'folder', id: 'my-model' },
    ];
    expect(refs.map(modelName)).toEqual([
      'rolescope-tiny-en',
      'hub:HuggingFaceTB/SmolLM2-135M-Instruct',
      'folder:my-model',
    ]);
    expect(refs.map(modelName).map(modelRef)).toEqual(refs);
  });

  it('refuses ids that could reach outside their place', () => {
    const bad: ModelRef[] = [
      { source: 'hub', id: '../../etc/passwd' },
      { source: 'hub', id: 'owner/../x' },
      { source: 'hub', id: 'owner/name/extra' },
      { source: 'hub', id: 'owner/name', revision: '../../main' },
      { source: 'hub', id: 'owner/name', revision: 'main branch' },
      { source: 'bundled', id: '../models' },
      { source: 'folder', id: 'My Model' },
      { source: 'folder', id: '.hidden' },
    ];
    for (const ref of bad) expect(() => validateRef(ref), JSON.stringify(ref)).toThrow(/is not/);
    expect(() => validateRef({ source: 'hub', id: 'Qwen/Qwen2.5-0.5B-Instruct', revision: 'refs/pr/1' })).not.toThrow();
  });

  it('makes a safe folder name from what the user called it', () => {
    expect(folderName('SmolLM2 135M (Instruct)')).toBe('smollm2-135m-instruct');
    expect(folderName('__x')).toBe('x');
    expect(() => folderName('??')).toThrow(/cannot name a model/);
  });
});
