/**
 * Conformance on onnxruntime-node: every Hub-format fixture (one per family the app offers,
 * exported by the Hub's own tools: Optimum, onnxruntime-genai's model builder) in every precision
 * its repository lists, loaded as a model folder the way a user's export is:
 * - each response's tokens are the reference tokenizer's, and its log-probs are the float64 torch
 *   reference's (computed on the graph's own weights), within the tolerance of its precision;
 * - the engine (shared context, batches, fused statistics) equals whole-sequence scoring at
 *   batch 1 on the same runtime; for row-coupled precisions (dynamic int8) a response scores
 *   exactly the same alone as among its context's other responses;
 * - a context too long for the model's window fits by dropping the oldest turns, as the reference;
 * - greedy generation with the key/value cache equals greedy decoding recomputed without one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/core/index.js';
import type { LoadedModelInfo, ModelService, ResponseScore } from '../../src/protocol/model-service.js';
import { createNodeModelService } from '../../node/model-host.js';
import { strftime } from '../../workers/model/template-date.js';
import {
  assembleHubFixture,
  HUB_FIXTURES_DIR,
  hubFixtureNames,
  readHubFixture,
  type Precision,
} from '../../scripts/lib/hub-fixtures.js';
import { chunkTokens } from '../../workers/model/shared-context.js';
import { greedyWithoutCache } from '../helpers/reference-lm.js';
import {
  matchReference,
  maxAbsDiff,
  referenceSequence,
  SAME_RUNTIME_TOLERANCE,
  TOLERANCE,
} from '../helpers/hub-conformance.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-hub-fixtures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Drops the oldest (user, assistant) pair after the system message while the model says it is too long. */
async function fitted(
  service: ModelService,
  context: ChatMessage[],
  responses: readonly string[],
): Promise<{ scores: readonly ResponseScore[]; dropped: number }> {
  for (let dropped = 0; ; dropped += 2) {
    const trimmed = [context[0]!, ...context.slice(1 + dropped)];
    try {
      return { scores: (await service.score([{ context: trimmed, responses }])).groups[0]!, dropped };
    } catch (error) {
      if ((error as Error).name !== 'ContextTooLongError' || trimmed.length <= 2) throw error;
    }
  }
}

const names = hubFixtureNames();
/** The families whose chat template trims each message's content. */
const TRIMMING_TEMPLATES = ['gemma3', 'llama3.2', 'qwen3'];

it('has a fixture for every family the app offers', () => {
  expect(names).toEqual(['gemma3', 'llama3.2', 'qwen2.5', 'qwen3', 'smollm2']);
});

describe.each(names)('%s', (name) => {
  const { fixture, reference } = readHubFixture(name);
  const now = () => new Date(`${reference.renderDate}T12:00:00`);
  beforeAll(() => assembleHubFixture(name, dir));

  it('was built with the chunk size the engine uses for passes over long sequences', () => {
    const config = JSON.parse(readFileSync(path.join(HUB_FIXTURES_DIR, name, 'config.json'), 'utf8')) as {
      vocab_size: number;
    };
    expect(reference.chunkTokens).toBe(chunkTokens(config.vocab_size));
  });

  describe.each(fixture.precisions)('%s', (precision: Precision) => {
    const engine = createNodeModelService({ modelFoldersDir: dir, now });
    const whole = createNodeModelService({
      modelFoldersDir: dir,
      now,
      shareContexts: false,
      batchBudget: { maxBatchSize: 1 },
    });
    const ref = { source: 'folder' as const, id: name };
    const load = { device: 'cpu' as const, dtype: precision };
    let info: LoadedModelInfo;
    beforeAll(async () => {
      info = await engine.load(ref, load);
      await whole.load(ref, load);
    });
    afterAll(async () => {
      await engine.dispose();
      await whole.dispose();
    });
    const tolerance = TOLERANCE[fixture.exporter][precision];
    const coupled = reference.rowCoupled.includes(precision);

    it('passes the load-time probe of context sharing, and says how it scores', () => {
      if (coupled) {
        // Scored one sequence at a time: there is no continuation to probe.
        expect(info.sharingProbe).toBeUndefined();
        expect(info.scoring).toBe('alone');
        return;
      }
      expect(info.sharingProbe!.error).toBeUndefined();
      expect(info.sharingProbe!.maxAbsDiffNats).toBeLessThanOrEqual(SAME_RUNTIME_TOLERANCE[precision]);
      expect(info.scoring).toBe(fixture.exporter === 'genai' ? 'shared-context-one-row' : 'shared-context');
    });

    it(`matches the torch reference within ${tolerance} nats per token, and whole-sequence scoring`, async () => {
      for (const c of reference.cases.filter((x) => x.name !== 'long')) {
        const scores = (await engine.score([{ context: c.context, responses: c.responses }])).groups[0]!;
        const alone = (await whole.score([{ context: c.context, responses: c.responses }])).groups[0]!;
        for (const [i, score] of scores.entries()) {
          const match = matchReference(score, referenceSequence(reference, c.name, c.responses[i]!), precision);
          expect(match.sameTokens, `${c.name} #${i} tokens`).toBe(true);
          expect(match.maxAbsDiff, `${c.name} #${i} against ${match.variant}`).toBeLessThanOrEqual(tolerance);
          if (!coupled) {
            expect(maxAbsDiff(score.logProbs, alone[i]!.logProbs), `${c.name} #${i}`).toBeLessThanOrEqual(
              SAME_RUNTIME_TOLERANCE[precision],
            );
          }
        }
        if (coupled) {
          // Alone, each response scores exactly as among the others: no batch mate moves it.
          for (const [i, response] of c.responses.entries()) {
            const single = (await engine.score([{ context: c.context, responses: [response] }])).groups[0]![0]!;
            expect(Array.from(single.logProbs)).toEqual(Array.from(scores[i]!.logProbs));
          }
        }
      }
    });

    if (precision === 'fp32')
      it('scores a response with outer whitespace as its template renders it', async () => {
        const c = reference.cases.find((x) => x.name === 'single')!;
        const response = c.responses[0]!;
        const [padded, plain] = (await engine.score([{ context: c.context, responses: [` ${response} \n`, response] }]))
          .groups[0]!;
        // Llama's, Gemma's and Qwen3's templates trim message content: the model sees the trimmed text.
        if (TRIMMING_TEMPLATES.includes(name)) {
          expect(Array.from(padded!.tokenIds)).toEqual(Array.from(plain!.tokenIds));
          expect(maxAbsDiff(padded!.logProbs, plain!.logProbs)).toBeLessThanOrEqual(SAME_RUNTIME_TOLERANCE.fp32);
        } else {
          expect(padded!.tokenIds.length).toBeGreaterThan(plain!.tokenIds.length);
        }
      });

    it('fits a long context by dropping its oldest turns', async () => {
      const c = reference.cases.find((x) => x.name === 'long')!;
      const { scores, dropped } = await fitted(engine, c.context, c.responses);
      expect(dropped).toBe(c.droppedTurns);
      const match = matchReference(scores[0]!, referenceSequence(reference, 'long', c.responses[0]!), precision);
      expect(match.sameTokens).toBe(true);
      expect(match.maxAbsDiff).toBeLessThanOrEqual(tolerance);
    });

    // Dynamic int8 quantizes each pass on its own, so a cached step and a whole re-run differ by design.
    if (!coupled)
      it('generates with its cache as greedy decoding without one', async () => {
        const result = await engine.generate(reference.generationPrompt, {
          maxNewTokens: 8,
          greedy: true,
          repetitionPenalty: 1,
        });
        Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: dir + path.sep });
        const tokenizer = await AutoTokenizer.from_pretrained(name);
        const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: precision, device: 'cpu' });
        try {
          const text = tokenizer.apply_chat_template(reference.generationPrompt, {
            tokenize: false,
            add_generation_prompt: true,
            date_string: strftime(now(), '%d %b %Y'),
          } as Parameters<typeof tokenizer.apply_chat_template>[1]) as string;
          const promptIds = tokenizer.encode(text, { add_special_tokens: false });
          expect(promptIds.length).toBe(result.promptTokens);
          const eos = [model.generation_config?.eos_token_id ?? []].flat() as number[];
          const expected = await greedyWithoutCache(model, promptIds, {
            maxNewTokens: 8,
            repetitionPenalty: 1,
            eosIds: eos,
          });
          expect(result.tokenIds).toEqual(expected);
        } finally {
          await model.dispose();
        }
      });
  });
});
