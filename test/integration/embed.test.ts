/**
 * The bundled encoder in Node: the input-embedding matrix read from the model's ONNX file holds
 * the values python3-onnx reads from it, and each vector is the normalized mean of its tokens'
 * rows, recomputed here from the matrix and the tokenizer.
 */
import { readFileSync } from 'node:fs';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import { readInitializer } from '../../workers/model/onnx-initializer.js';
import { BUNDLED_MODELS_DIR, createNodeModelService } from '../../node/model-host.js';

const MODEL = 'rolescope-tiny-multi';
const service = createNodeModelService();
afterAll(() => service.dispose());

describe('embed with the bundled input embeddings', () => {
  it('mean-pools the token embedding rows and normalizes them', async () => {
    const texts = ['I love hiking with my dog.', 'J’adore la randonnée.', '私は犬が好きです。'];
    const result = await service.embed({ kind: 'input-embeddings', model: MODEL }, texts);
    expect(result.dims).toBe(192);
    expect(result.vectors).toHaveLength(3 * 192);
    expect(result.fingerprint.modelId).toBe(`input-embeddings:${MODEL}`);

    const table = readInitializer(
      new Uint8Array(readFileSync(`${BUNDLED_MODELS_DIR}${MODEL}/onnx/model.onnx`)),
      'gpt.wte.weight',
    );
    Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: BUNDLED_MODELS_DIR });
    const tokenizer = await AutoTokenizer.from_pretrained(MODEL);
    texts.forEach((text, r) => {
      const ids = tokenizer.encode(text, { add_special_tokens: false });
      const mean = new Float64Array(192);
      for (const id of ids) for (let k = 0; k < 192; k++) mean[k]! += table.data[id * 192 + k]! / ids.length;
      const norm = Math.hypot(...mean);
      const row = result.vectors.subarray(r * 192, (r + 1) * 192);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      for (let k = 0; k < 192; k++) expect(row[k]!).toBeCloseTo(mean[k]! / norm, 5);
    });
  });

  it('reads the matrix the ONNX file holds (values read independently with python3-onnx)', () => {
    const table = readInitializer(
      new Uint8Array(readFileSync(`${BUNDLED_MODELS_DIR}${MODEL}/onnx/model.onnx`)),
      'gpt.wte.weight',
    );
    expect(table.dims).toEqual([8192, 192]);
    // onnx.numpy_helper.to_array of the same initializer: first row's first values, last row's
    // last values, and the sum of absolute values.
    expect(Array.from(table.data.subarray(0, 3))).toEqual([
      0.09645608067512512, -0.14298179745674133, 0.1116676852107048,
    ]);
    expect(Array.from(table.data.subarray(-3))).toEqual([
      -0.03989045321941376, 0.09714119881391525, -0.04947621747851372,
    ]);
    const sumAbs = table.data.reduce((sum, v) => sum + Math.abs(v), 0);
    expect(sumAbs).toBeCloseTo(88980.83290078366, 2);
    expect(() =>
      readInitializer(new Uint8Array(readFileSync(`${BUNDLED_MODELS_DIR}${MODEL}/onnx/model.onnx`)), 'nope'),
    ).toThrow(/no initializer named nope/);
  });

  it('refuses empty texts and unknown models with named errors', async () => {
    await expect(service.embed({ kind: 'input-embeddings', model: MODEL }, ['ok', ' '])).rejects.toMatchObject({
      name: 'InvalidRequestError',
    });
    await expect(service.embed({ kind: 'input-embeddings', model: 'no-such-model' }, ['x'])).rejects.toMatchObject({
      name: 'ModelNotFoundError',
    });
    await expect(service.embed({ kind: 'input-embeddings', model: '../etc' }, ['x'])).rejects.toMatchObject({
      name: 'InvalidRequestError',
    });
  });
});
