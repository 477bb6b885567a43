/**
 * The service's `generate`: a prompt (text, or messages rendered by the chat template) continued
 * by the loaded model, greedy or seeded sampling, streamed token by token where asked, stopped at
 * a stop string, the end of sequence or the token limit.
 */
import { random, StoppingCriteria, Tensor, TextStreamer, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { GenerateOptions, GenerateResult, ModelService, TokenCallback } from '../../src/protocol/model-service.js';
import { cutAtStop } from '../../src/core/index.js';
import { fail, type Loaded } from './loaded.js';
import { render } from './prepare.js';

/** Generates a continuation of `prompt` on the loaded model. */
export async function generate(
  current: Loaded,
  prompt: Parameters<ModelService['generate']>[0],
  options: GenerateOptions,
  onToken?: TokenCallback,
): Promise<GenerateResult> {
  const { model, tokenizer, info } = current;
  const started = performance.now();
  const text = typeof prompt === 'string' ? prompt : render(current, prompt, true);
  const inputs = tokenizer(text, { add_special_tokens: !tokenizer.chat_template });
  const promptTokens = (inputs.input_ids as Tensor).dims[1]!;
  const room = info.maxTokens - promptTokens;
  if (room < 1)
    fail('ContextTooLongError', `the prompt is ${promptTokens} tokens; the model accepts ${info.maxTokens}`);
  const maxNewTokens = Math.min(options.maxNewTokens ?? 256, room);
  const stops = options.stop ?? [];
  const greedy = options.greedy ?? true;
  if (!greedy) random.seed(options.seed ?? 0);
  const stopCriterion = new StopStrings(tokenizer, stops, promptTokens);
  const output = (await model.generate({
    ...inputs,
    max_new_tokens: maxNewTokens,
    do_sample: !greedy,
    ...(greedy ? {} : { temperature: options.temperature ?? 1 }),
    repetition_penalty: options.repetitionPenalty ?? 1.05,
    stopping_criteria: [stopCriterion],
    ...(onToken
      ? {
          streamer: new TextStreamer(tokenizer, {
            skip_prompt: true,
            skip_special_tokens: true,
            callback_function: onToken,
          }),
        }
      : {}),
  })) as Tensor;
  const all = Array.from(output.data as BigInt64Array, Number);
  const newIds = all.slice(promptTokens);
  const decoded = tokenizer.decode(newIds, { skip_special_tokens: true });
  const cut = cutAtStop(decoded, stops);
  const eos = new Set([model.generation_config?.eos_token_id ?? tokenizer.eos_token_id].flat());
  return {
    text: cut.text,
    tokenIds: newIds,
    stoppedBy: cut.stopped ? 'stop' : eos.has(newIds.at(-1) ?? -1) ? 'eos' : 'length',
    promptTokens,
    ms: performance.now() - started,
  };
}

/** Stops a sequence once its new text contains a stop string. */
class StopStrings extends StoppingCriteria {
  constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly stops: readonly string[],
    private readonly promptTokens: number,
  ) {
    super();
  }

  override _call(inputIds: number[][]): boolean[] {
    if (!this.stops.length) return inputIds.map(() => false);
    return inputIds.map((ids) => {
      const text = this.tokenizer.decode(ids.slice(this.promptTokens), { skip_special_tokens: true });
      return cutAtStop(text, this.stops).stopped;
    });
  }
}
