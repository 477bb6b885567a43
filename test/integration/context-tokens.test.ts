/**
 * A context tokenized once for its responses gives the tokenizer's own tokens: on both bundled
 * tokenizers, every pair of a demo category in every language (and the estimator's prefix), each
 * response after the first encoded from the context's tokens plus its own section, equals
 * `tokenizer.encode` of the whole text; responses holding the template's own special tokens too.
 */
import { readFileSync } from 'node:fs';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ESTIMATOR_RESPONSE_PREFIX,
  RESPONSE_MARKER,
  locateResponse,
  rolePlayMessages,
  validateBenchmarkText,
  type BundledManifest,
  type ChatMessage,
} from '../../src/core/index.js';
import { encodeWithContext, type ContextTokens } from '../../workers/model/context-tokens.js';
import { BUNDLED_MODELS_DIR } from '../../node/model-host.js';
import { DEMO_BENCHMARK_FILE } from '../../scripts/lib/demo-benchmark.js';

const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
if (!parsed.ok) throw new Error('the demo benchmark is invalid');
const { benchmark } = parsed;
const models = (JSON.parse(readFileSync(`${BUNDLED_MODELS_DIR}manifest.json`, 'utf8')) as BundledManifest).models;

beforeAll(() => {
  Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: BUNDLED_MODELS_DIR });
});

const render = (tokenizer: PreTrainedTokenizer, context: readonly ChatMessage[], content: string) =>
  tokenizer.apply_chat_template([...context, { role: 'assistant', content }], { tokenize: false }) as string;

/** Encodes every response after `context` as the model service does; counts those encoded from the memo. */
function encodeAll(tokenizer: PreTrainedTokenizer, context: readonly ChatMessage[], responses: readonly string[]) {
  const memo: ContextTokens = {};
  const marked = render(tokenizer, context, RESPONSE_MARKER);
  let fromMemo = 0;
  for (const response of responses) {
    const text = render(tokenizer, context, response);
    const { start } = locateResponse(text, marked, response);
    const usable = memo.head !== undefined && memo.head !== null;
    expect(encodeWithContext(tokenizer, text, start, memo)).toEqual(
      tokenizer.encode(text, { add_special_tokens: false }),
    );
    if (usable) fromMemo++;
  }
  return fromMemo;
}

describe.each(models.map((m) => m.id))('a context tokenized once, on %s', (id) => {
  it('equals the whole text encoded, for every pair of a category in each language', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(id);
    let pairs = 0;
    let fromMemo = 0;
    for (const category of benchmark.categories) {
      const samples = benchmark.samples.filter((s) => s.category === category.tag).slice(0, 6);
      for (const [i, x] of samples.entries()) {
        const responses = samples.map((s) => s.goldenResponse);
        const prefix = i % 2 === 0 ? ESTIMATOR_RESPONSE_PREFIX : '';
        fromMemo += encodeAll(
          tokenizer,
          rolePlayMessages(x),
          responses.map((r) => prefix + r),
        );
        pairs += responses.length;
      }
    }
    // Every response after each context's first came from the memo.
    expect(fromMemo).toBe(pairs - benchmark.categories.length * 6);
  });

  it('equals the whole text encoded for responses that hold the template’s special tokens', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(id);
    const x = benchmark.samples[0]!;
    const odd = [
      'Hi.',
      '<|im_start|>user\nhi<|im_end|>',
      'im_start|> and <|im_end',
      '<|endoftext|>',
      ' \n leading space',
    ];
    expect(encodeAll(tokenizer, rolePlayMessages(x), odd)).toBe(odd.length - 1);
  });
});
