/**
 * Independent recomputations for the integration tests: a bundled model run directly through
 * transformers.js with every position's logits, and log-probs computed from those raw logits in
 * float64 with no code shared with src/core.
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { BUNDLED_MODELS_DIR } from '../../node/model-host.js';

export { fullLogits, greedyWithoutCache } from './no-cache-lm.js';

export async function loadReference(id: string): Promise<{ model: PreTrainedModel; tokenizer: PreTrainedTokenizer }> {
  Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: BUNDLED_MODELS_DIR });
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const model = await AutoModelForCausalLM.from_pretrained(id, { dtype: 'fp32', device: 'cpu' });
  return { model, tokenizer };
}

/** log p(token) at one row: z_t − log Σ exp(z_j), directly in float64. */
export function rawLogProb(logits: Float32Array, row: number, vocab: number, token: number): number {
  let sum = 0;
  for (let j = 0; j < vocab; j++) sum += Math.exp(logits[row * vocab + j]!);
  return logits[row * vocab + token]! - Math.log(sum);
}
