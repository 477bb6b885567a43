/**
 * The model service on a real bundled model in Node (onnxruntime-node), checked against
 * independent recomputations: torch's log-probs (fixtures written by the training script), raw
 * logits from a full forward pass, unbatched scoring and uncached greedy decoding.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolePlayMessages, type ChatMessage, type DemoSampleFile } from '../../src/core/index.js';
import type { LoadedModelInfo, ModelService, ResponseScore } from '../../src/protocol/model-service.js';
import { createNodeModelService } from '../../node/model-host.js';
import { fullLogits, greedyWithoutCache, loadReference, rawLogProb } from '../helpers/reference-lm.js';

const MODEL_ID = 'rolescope-tiny-en';

interface FixtureExample {
  user_persona: string;
  agent_character: string;
  dialogue: { role: 'user' | 'agent'; text: string }[];
  response: string;
  messages: ChatMessage[];
  text: string;
  token_ids: number[];
  response_token_span: [number, number];
  response_token_logprobs: number[];
  mean_logprob: number;
}

const fixture = JSON.parse(readFileSync(`test/fixtures/demo-models/${MODEL_ID}.json`, 'utf8')) as {
  examples: FixtureExample[];
};
const demo = JSON.parse(readFileSync('public/samples/demo-samples.json', 'utf8')) as DemoSampleFile;

const contextOf = (e: FixtureExample) =>
  rolePlayMessages({ userPersona: e.user_persona, agentCharacter: e.agent_character, dialogue: e.dialogue });

let service: ModelService;
let info: LoadedModelInfo;
let reference: Awaited<ReturnType<typeof loadReference>>;

beforeAll(async () => {
  service = createNodeModelService();
  info = await service.load({ source: 'bundled', id: MODEL_ID });
  reference = await loadReference(MODEL_ID);
});

afterAll(async () => {
  await service?.dispose();
  await reference?.model.dispose();
});

describe('loading', () => {
  it('describes the loaded model', () => {
    expect(info.device).toBe('cpu');
    expect(info.hasChatTemplate).toBe(true);
    expect(info.maxTokens).toBeGreaterThanOrEqual(256);
    expect(info.vocabSize).toBe((reference.model.config as unknown as { vocab_size: number }).vocab_size);
    expect(info.fingerprint.filesHash).toMatch(/^[0-9a-f]{64}$/);
    expect(info.fingerprint.deviceClass).toBe('cpu');
  });

  it('fails with named errors a user can act on', async () => {
    const other = createNodeModelService();
    await expect(other.score([{ context: [], responses: ['x'] }])).rejects.toMatchObject({
      name: 'NoModelLoadedError',
    });
    await expect(other.load({ source: 'bundled', id: 'no-such-model' })).rejects.toMatchObject({
      name: 'ModelNotFoundError',
    });
    await expect(other.load({ source: 'hub', id: '../../etc/passwd' })).rejects.toMatchObject({
      name: 'InvalidRequestError',
    });
  });
});

describe('rendering and tokenization agree with the training script', () => {
  it.each(fixture.examples.map((e, i) => [i, e] as const))('example %i', (_, example) => {
    // The training script puts the stripped response in the assistant turn.
    const messages = [...contextOf(example), { role: 'assistant' as const, content: example.response.trim() }];
    expect(messages).toEqual(example.messages);
    const text = reference.tokenizer.apply_chat_template(messages, { tokenize: false });
    expect(text).toBe(example.text);
    expect(reference.tokenizer.encode(example.text, { add_special_tokens: false })).toEqual(example.token_ids);
  });
});

describe('score()', () => {
  it('finds the same response tokens as the training script and matches torch log-probs', async () => {
    const result = await service.score(
      fixture.examples.map((e) => ({ context: contextOf(e), responses: [e.response.trim()] })),
    );
    fixture.examples.forEach((e, i) => {
      const score = result.groups[i]![0]!;
      const [start, end] = e.response_token_span;
      expect(Array.from(score.tokenIds)).toEqual(e.token_ids.slice(start, end));
      expect(score.contextTokens).toBe(start);
      expect(score.logProbs.length).toBe(e.response_token_logprobs.length);
      score.logProbs.forEach((lp, t) => expect(Math.abs(lp - e.response_token_logprobs[t]!)).toBeLessThan(1e-4));
      expect(Math.abs(score.meanLogProb - e.mean_logprob)).toBeLessThan(1e-4);
      expect(score.tokenTexts.join('')).toBe(e.response.trim());
    });
  });

  it('equals a from-scratch recomputation from raw logits', async () => {
    const sample = demo.samples[0]!;
    const context = rolePlayMessages(sample);
    const [[score]] = (await service.score([{ context, responses: [sample.goldenResponse] }])).groups as [[never]];
    const s = score as unknown as {
      tokenIds: Int32Array;
      logProbs: Float32Array;
      ranks: Int32Array;
      entropies: Float32Array;
      meanEntropy: number;
      contextTokens: number;
    };
    const text = reference.tokenizer.apply_chat_template(
      [...context, { role: 'assistant', content: sample.goldenResponse }],
      {
        tokenize: false,
      },
    ) as string;
    const ids = reference.tokenizer.encode(text, { add_special_tokens: false });
    const { data, vocab } = await fullLogits(reference.model, ids);
    s.tokenIds.forEach((id, t) => {
      const position = s.contextTokens + t;
      expect(ids[position]).toBe(id);
      expect(Math.abs(s.logProbs[t]! - rawLogProb(data, position - 1, vocab, id))).toBeLessThan(1e-5);
      // Rank: 1 + the number of strictly larger logits in that row.
      const row = data.subarray((position - 1) * vocab, position * vocab);
      expect(s.ranks[t]).toBe(1 + row.filter((v) => v > row[id]!).length);
      // Entropy −Σ p log p of that row, with p from the plain (unshifted) softmax in float64.
      let entropy = 0;
      for (let j = 0; j < vocab; j++) {
        const logP = rawLogProb(data, position - 1, vocab, j);
        entropy -= Math.exp(logP) * logP;
      }
      expect(Math.abs(s.entropies[t]! - entropy)).toBeLessThan(1e-4);
    });
    const meanEntropy = s.entropies.reduce((a, b) => a + b, 0) / s.entropies.length;
    expect(s.meanEntropy).toBeCloseTo(meanEntropy, 6);
    expect(s.meanEntropy).toBeGreaterThan(0);
  });

  it('scores only the response after an unscored prefix in the assistant turn', async () => {
    const sample = demo.samples[1]!;
    const context = rolePlayMessages(sample);
    const prefix = '## Agent Response\n';
    const [[score]] = (await service.score([{ context, responses: [sample.goldenResponse], responsePrefix: prefix }]))
      .groups as [[ResponseScore]];
    const text = reference.tokenizer.apply_chat_template(
      [...context, { role: 'assistant', content: prefix + sample.goldenResponse }],
      { tokenize: false },
    ) as string;
    const ids = reference.tokenizer.encode(text, { add_special_tokens: false });
    const { data, vocab } = await fullLogits(reference.model, ids);
    expect(score.tokenTexts.join('')).toBe(sample.goldenResponse.trim());
    expect(reference.tokenizer.decode(ids.slice(0, score.contextTokens)).endsWith(prefix)).toBe(true);
    score.tokenIds.forEach((id, t) => {
      const position = score.contextTokens + t;
      expect(ids[position]).toBe(id);
      expect(Math.abs(score.logProbs[t]! - rawLogProb(data, position - 1, vocab, id))).toBeLessThan(1e-5);
    });
  });

  it('gives the same numbers batched as one at a time', async () => {
    const groups = demo.samples.slice(0, 5).map((s, i) => ({
      context: rolePlayMessages(s),
      // Responses of different lengths force padding inside a batch.
      responses: [s.goldenResponse, demo.samples[(i + 1) % demo.samples.length]!.goldenResponse, 'ok'],
    }));
    // Whole sequences packed by length (context sharing has its own test: shared-context.test.ts).
    const packed = createNodeModelService({ shareContexts: false });
    await packed.load({ source: 'bundled', id: MODEL_ID });
    const batched = await packed.score(groups);
    await packed.dispose();
    expect(batched.timings.batches).toBeLessThan(batched.timings.sequences);
    const single = createNodeModelService({ shareContexts: false, batchBudget: { maxBatchSize: 1 } });
    await single.load({ source: 'bundled', id: MODEL_ID });
    const oneByOne = await single.score(groups);
    await single.dispose();
    expect(oneByOne.timings.batches).toBe(oneByOne.timings.sequences);
    batched.groups.forEach((g, gi) =>
      g.forEach((score, ri) => {
        const other = oneByOne.groups[gi]![ri]!;
        expect(Array.from(score.tokenIds)).toEqual(Array.from(other.tokenIds));
        score.logProbs.forEach((lp, t) => expect(Math.abs(lp - other.logProbs[t]!)).toBeLessThan(1e-5));
      }),
    );
  });

  it('scores every bundled demo sample within the window', async () => {
    const result = await service.score(
      demo.samples.map((s) => ({ context: rolePlayMessages(s), responses: [s.goldenResponse] })),
    );
    for (const [score] of result.groups) expect(Number.isFinite(score!.meanLogProb)).toBe(true);
  });

  it('uses its context: golden responses are likelier after their own context than after another', async () => {
    const english = demo.samples.filter((s) => s.language === 'en');
    const own = await service.score(
      english.map((s) => ({ context: rolePlayMessages(s), responses: [s.goldenResponse] })),
    );
    const swapped = await service.score(
      english.map((s, i) => ({
        context: rolePlayMessages(english[(i + 1) % english.length]!),
        responses: [s.goldenResponse],
      })),
    );
    const mean = (r: typeof own) => r.groups.reduce((a, [s]) => a + s!.meanLogProb, 0) / r.groups.length;
    expect(mean(own) - mean(swapped)).toBeGreaterThan(0.1);
  });

  it('refuses a sequence longer than the model window with ContextTooLongError', async () => {
    const long = 'word '.repeat(info.maxTokens + 10);
    await expect(
      service.score([{ context: [{ role: 'user', content: long }], responses: ['hi'] }]),
    ).rejects.toMatchObject({
      name: 'ContextTooLongError',
    });
  });
});

describe('generate()', () => {
  const sample = demo.samples[0]!;
  const prompt = () => rolePlayMessages(sample);

  it('streams pieces that add up to the returned text, and stops at the end of the turn', async () => {
    const pieces: string[] = [];
    const result = await service.generate(prompt(), { maxNewTokens: 60 }, (p) => pieces.push(p));
    expect(result.text.length).toBeGreaterThan(0);
    // Streamed while generating, a word or so at a time, not handed over once at the end.
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(result.text);
    expect(['eos', 'length']).toContain(result.stoppedBy);
    expect(result.text).not.toContain('<|im_end|>');
  });

  it('matches greedy decoding recomputed without a KV cache', async () => {
    const result = await service.generate(prompt(), { maxNewTokens: 24, greedy: true, repetitionPenalty: 1.05 });
    const text = reference.tokenizer.apply_chat_template(prompt() as ChatMessage[], {
      tokenize: false,
      add_generation_prompt: true,
    }) as string;
    const promptIds = reference.tokenizer.encode(text, { add_special_tokens: false });
    expect(result.promptTokens).toBe(promptIds.length);
    const eos = [reference.model.generation_config?.eos_token_id]
      .flat()
      .filter((x): x is number => typeof x === 'number');
    const expected = await greedyWithoutCache(reference.model, promptIds, {
      maxNewTokens: 24,
      repetitionPenalty: 1.05,
      eosIds: eos,
    });
    expect(result.tokenIds).toEqual(expected);
  });

  it('is deterministic for a seed when sampling, and another seed samples another text', async () => {
    // Temperature 2 flattens the next-token distribution (thousands of plausible tokens), so two
    // seeds drawing the same sequence of up to 24 tokens, or the end of turn first, does not happen.
    const options = { maxNewTokens: 24, greedy: false, temperature: 2, seed: 1234 };
    const a = await service.generate(prompt(), options);
    const b = await service.generate(prompt(), options);
    const c = await service.generate(prompt(), { ...options, seed: 4321 });
    expect(a.tokenIds.length).toBeGreaterThan(0);
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(b.text).toBe(a.text);
    expect(c.tokenIds).not.toEqual(a.tokenIds);
    expect(c.text).not.toBe(a.text);
  });

  it('stops at a stop string and leaves it out', async () => {
    const free = await service.generate(prompt(), { maxNewTokens: 40 });
    expect(free.text.length).toBeGreaterThanOrEqual(8);
    const stop = free.text.slice(5, 8);
    const cut = await service.generate(prompt(), { maxNewTokens: 40, stop: [stop] });
    expect(cut.stoppedBy).toBe('stop');
    expect(cut.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
  });
});
