/**
 * The bundled CoRL pair in Node (onnxruntime-node) against what the trained PyTorch models
 * computed (test/fixtures/corl/models.json, written by scripts/corl/write_model_fixture.py from
 * the adapters the export merged): the thought policy writes the same r for x with the app's
 * decoding of r, and the estimator gives the golden response the same log-probs after (x, r).
 * A wrong export, prompt or decoding setting changes r or the numbers, and fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ESTIMATOR_RESPONSE_PREFIX,
  THOUGHT_GENERATION,
  estimatorMessages,
  thoughtMessages,
} from '../../src/core/index.js';
import type { ModelService } from '../../src/protocol/model-service.js';
import { createNodeModelService } from '../../node/model-host.js';
import { CORL_LOGPROB_TOLERANCE, corlInputOf as inputOf, readCorlFixture } from '../helpers/corl-fixture.js';

const fixture = readCorlFixture();

let thought: ModelService;
let estimator: ModelService;

beforeAll(async () => {
  thought = createNodeModelService();
  estimator = createNodeModelService();
  await thought.load({ source: 'bundled', id: 'rolescope-corl-thought' });
  await estimator.load({ source: 'bundled', id: 'rolescope-corl-estimator' });
});

afterAll(async () => {
  await thought?.dispose();
  await estimator?.dispose();
});

describe('the bundled CoRL models compute what the trained models computed', () => {
  it('holds examples decoded with the settings the pipeline uses for r', () => {
    expect(fixture.examples.length).toBeGreaterThanOrEqual(3);
    expect(fixture.thought_generation.max_new_tokens).toBe(THOUGHT_GENERATION.maxNewTokens);
    expect(fixture.thought_generation.repetition_penalty).toBe(THOUGHT_GENERATION.repetitionPenalty);
  });

  it.each(fixture.examples.map((e) => [e.id, e] as const))('%s: the same prompts', (_, e) => {
    expect(thoughtMessages(inputOf(e))).toEqual(e.thought_messages);
    expect(estimatorMessages(inputOf(e), e.r)).toEqual(e.estimator_messages);
  });

  it.each(fixture.examples.map((e) => [e.id, e] as const))('%s: the thought policy writes the same r', async (_, e) => {
    const result = await thought.generate(thoughtMessages(inputOf(e)), THOUGHT_GENERATION);
    expect(result.text.trim()).toBe(e.r);
    // A trained policy writes the layout th-v1 asks for, not an empty or runaway text.
    expect(e.r).toContain('Core features:');
  });

  it.each(fixture.examples.map((e) => [e.id, e] as const))(
    '%s: the estimator gives y* the same log-probs',
    async (_, e) => {
      const { groups } = await estimator.score([
        {
          context: estimatorMessages(inputOf(e), e.r),
          responses: [e.golden],
          responsePrefix: ESTIMATOR_RESPONSE_PREFIX,
        },
      ]);
      const score = groups[0]![0]!;
      expect(Array.from(score.tokenIds)).toEqual(e.response_token_ids);
      expect(score.logProbs.length).toBe(e.response_token_logprobs.length);
      score.logProbs.forEach((lp, t) =>
        expect(Math.abs(lp - e.response_token_logprobs[t]!)).toBeLessThan(CORL_LOGPROB_TOLERANCE),
      );
    },
  );
});
