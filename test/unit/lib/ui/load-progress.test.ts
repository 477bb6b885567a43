import { describe, expect, it } from 'vitest';
import { formatBytes, LoadProgressTracker } from '../../../../src/lib/ui/load-progress.js';
import { cachedHubModels } from '../../../../src/storage/hub-cache.js';

describe('LoadProgressTracker', () => {
  it('sums the files of both calls of a load (tokenizer, then weights)', () => {
    const t = new LoadProgressTracker();
    t.update({ status: 'initiate', name: 'm', file: 'tokenizer.json' });
    t.update({ status: 'progress', name: 'm', file: 'tokenizer.json', progress: 50, loaded: 50, total: 100 });
    let view = t.update({ status: 'initiate', name: 'm', file: 'onnx/model.onnx' });
    // Only the tokenizer's size is known yet: 50 of 100 bytes.
    expect(view.fraction).toBeCloseTo(0.5);
    expect(view.files.map((f) => f.file)).toEqual(['tokenizer.json', 'onnx/model.onnx']);
    t.update({ status: 'done', name: 'm', file: 'tokenizer.json' });
    view = t.update({ status: 'progress', name: 'm', file: 'onnx/model.onnx', progress: 10, loaded: 90, total: 900 });
    // (100 + 90) of (100 + 900) bytes.
    expect(view.fraction).toBeCloseTo(0.19);
    expect(view).toMatchObject({ loadedBytes: 190, totalBytes: 1000, filesDone: 1 });
    view = t.update({ status: 'done', name: 'm', file: 'onnx/model.onnx' });
    expect(view).toMatchObject({ fraction: 1, filesDone: 2, loadedBytes: 1000 });
  });

  it('counts files done when no file reports a size (read from a cache)', () => {
    const t = new LoadProgressTracker();
    t.update({ status: 'initiate', name: 'm', file: 'a' });
    t.update({ status: 'initiate', name: 'm', file: 'b' });
    expect(t.update({ status: 'done', name: 'm', file: 'a' }).fraction).toBe(0.5);
    // Events without a file change nothing.
    expect(t.update({ status: 'ready', task: 'text-generation', model: 'm' }).files).toHaveLength(2);
  });
});

describe('formatBytes', () => {
  it('uses decimal units as the Hub does', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(134_000_000)).toBe('134 MB');
    expect(formatBytes(1_640_000_000)).toBe('1.64 GB');
    expect(formatBytes(13_854_760)).toBe('13.9 MB');
  });
});

describe('cachedHubModels', () => {
  it('groups transformers.js cache entries by model and names the cached precisions', () => {
    const hf = 'https://huggingface.co';
    const models = cachedHubModels([
      { url: `${hf}/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/config.json`, bytes: 10 },
      { url: `${hf}/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/onnx/model_q4.onnx`, bytes: 200 },
      { url: `${hf}/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/onnx/model_q4.onnx_data`, bytes: 5 },
      { url: `${hf}/onnx-community/Qwen2.5-0.5B-Instruct/resolve/main/onnx/model_quantized.onnx`, bytes: 7 },
      { url: 'http://localhost/models/rolescope-tiny-en/config.json', bytes: 1 },
    ]);
    expect(models).toEqual([
      {
        id: 'HuggingFaceTB/SmolLM2-135M-Instruct',
        revision: 'main',
        files: ['config.json', 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data'],
        dtypes: ['q4'],
        bytes: 215,
      },
      {
        id: 'onnx-community/Qwen2.5-0.5B-Instruct',
        revision: 'main',
        files: ['onnx/model_quantized.onnx'],
        dtypes: ['q8'],
        bytes: 7,
      },
    ]);
  });
});
