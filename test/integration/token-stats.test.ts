/**
 * The native token statistics (an onnxruntime graph written in workers/model/token-stats.ts) equal the
 * JavaScript ones (tokenStats in the core, unit-tested against hand-computed values) on the
 * bundled model's real logits and on rows with masked (−∞) entries.
 */
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { BUNDLED_MODELS_DIR } from '../../node/model-host.js';
import { jsTokenStats, nativeTokenStats } from '../../workers/model/token-stats.js';

describe('native token statistics', () => {
  // Opset 18 takes ReduceMax's axes as an input, where 13 takes an attribute.
  it.each([13, 18])('equal the JavaScript ones on real logits and on masked rows, at opset %i', async (opset) => {
    Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: BUNDLED_MODELS_DIR });
    const model = await AutoModelForCausalLM.from_pretrained('rolescope-tiny-en', { device: 'cpu', dtype: 'fp32' });
    const native = await nativeTokenStats(model, false, opset);
    const ids = [1, 200, 31, 415, 9, 77, 1024, 5];
    const output = (await model({
      input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new Tensor(
        'int64',
        BigInt64Array.from(ids, () => 1n),
        [1, ids.length],
      ),
    })) as { logits: Tensor };
    const vocab = output.logits.dims[2]!;
    const rows = Float32Array.from(output.logits.data as Float32Array);
    // The last row masked as a sampler would: half the vocabulary at −∞.
    for (let j = 0; j < vocab; j += 2) rows[(ids.length - 1) * vocab + j] = -Infinity;
    const targets = Int32Array.from([...ids.slice(1), 7]);
    const a = await native(rows, targets, vocab);
    const b = await jsTokenStats(rows, targets, vocab);
    for (let k = 0; k < targets.length; k++) {
      expect(Math.abs(a.logProbs[k]! - b.logProbs[k]!)).toBeLessThan(1e-5);
      expect(Math.abs(a.entropies[k]! - b.entropies[k]!)).toBeLessThan(1e-4);
      expect(Number.isFinite(a.entropies[k]!)).toBe(true);
    }
    // Ranks of likely tokens agree exactly (the least likely may swap within a few ulps).
    for (let k = 0; k < targets.length; k++) if (b.ranks[k]! <= 100) expect(a.ranks[k]).toBe(b.ranks[k]);
    await model.dispose();
  });
});
