/**
 * A causal LM run the plain way, with no key/value cache and no code of the scoring engine: every
 * position's logits from one whole pass, and greedy decoding that re-runs the whole sequence at
 * every step. Runtime-free (transformers.js only), so the browser conformance harness uses it too.
 */
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';

/** All logits [tokens, vocab] of one unpadded sequence, from a single full forward pass. */
export async function fullLogits(
  model: PreTrainedModel,
  ids: readonly number[],
): Promise<{ data: Float32Array; vocab: number }> {
  const n = ids.length;
  const out = (await model({
    input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
  })) as { logits: Tensor };
  const [, rows, vocab] = out.logits.dims as [number, number, number];
  if (rows !== n) throw new Error(`expected logits for all ${n} positions, got ${rows}`);
  // fp16 graphs give float16 logits.
  const logits = out.logits.type === 'float32' ? out.logits : out.logits.to('float32');
  return { data: logits.data as Float32Array, vocab };
}

/**
 * Greedy decoding with no KV cache: every step re-runs the whole sequence. Repetition penalty as
 * in Hugging Face transformers: a previously seen token's logit is divided by the penalty when
 * positive, multiplied when negative.
 */
export async function greedyWithoutCache(
  model: PreTrainedModel,
  promptIds: readonly number[],
  options: { maxNewTokens: number; repetitionPenalty: number; eosIds: readonly number[] },
): Promise<number[]> {
  const ids = [...promptIds];
  const generated: number[] = [];
  for (let step = 0; step < options.maxNewTokens; step++) {
    const { data, vocab } = await fullLogits(model, ids);
    const row = data.slice((ids.length - 1) * vocab, ids.length * vocab);
    for (const seen of new Set(ids)) {
      const v = row[seen]!;
      row[seen] = v > 0 ? v / options.repetitionPenalty : v * options.repetitionPenalty;
    }
    let best = 0;
    for (let j = 1; j < vocab; j++) if (row[j]! > row[best]!) best = j;
    ids.push(best);
    generated.push(best);
    if (options.eosIds.includes(best)) break;
  }
  return generated;
}
