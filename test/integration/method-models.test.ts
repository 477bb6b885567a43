/**
 * The bundled method policies in Node (onnxruntime-node) against what the trained PyTorch policies
 * computed (test/fixtures/methods/models.json, written by scripts/methods/bundle.py): each writes
 * the same output with the pipeline's policy decoding, the pipeline keeps the same reply of it (a
 * thinking policy's thought dropped), and each gives the golden reply the same log-probs after the
 * rp-v1 context. A wrong export, prompt or decoding setting changes the text or the numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_GENERATION, replyOf, rolePlayMessages } from '../../src/core/index.js';
import type { ModelService } from '../../src/protocol/model-service.js';
import { createNodeModelService } from '../../node/model-host.js';
import { METHODS_LOGPROB_TOLERANCE, methodsInputOf, readMethodsFixture } from '../helpers/methods-fixture.js';

const fixture = readMethodsFixture();
const services: Record<string, ModelService> = {};

beforeAll(async () => {
  for (const [name, id] of Object.entries(fixture.policies)) {
    services[name] = createNodeModelService();
    await services[name].load({ source: 'bundled', id });
  }
});

afterAll(async () => {
  for (const service of Object.values(services)) await service.dispose();
});

const cases = fixture.examples.flatMap((e) =>
  Object.keys(fixture.policies).map((name) => [`${name} ${e.id}`, name, e] as const),
);

describe('the bundled method policies compute what the trained policies computed', () => {
  it('holds every policy, decoded with the pipeline’s settings and prompt', () => {
    expect(Object.keys(fixture.policies).sort()).toEqual(['rl', 'sft', 'think']);
    expect(fixture.examples.length).toBeGreaterThanOrEqual(3);
    expect(fixture.generation).toEqual({
      max_new_tokens: POLICY_GENERATION.maxNewTokens,
      greedy: POLICY_GENERATION.greedy,
      repetition_penalty: POLICY_GENERATION.repetitionPenalty,
    });
    for (const e of fixture.examples) expect(rolePlayMessages(methodsInputOf(e)), e.id).toEqual(e.messages);
    // The thinking policy thinks: its outputs open a thought that the reply leaves out.
    for (const e of fixture.examples) expect(e.policies.think!.text.trimStart().startsWith('<think>'), e.id).toBe(true);
  });

  it.each(cases)('%s: the same output and reply', async (_, name, e) => {
    const result = await services[name]!.generate(rolePlayMessages(methodsInputOf(e)), POLICY_GENERATION);
    expect(result.text.trim()).toBe(e.policies[name]!.text);
    expect(replyOf(result.text)).toBe(e.policies[name]!.reply);
  });

  it.each(cases)('%s: the same log-probs of the golden reply', async (_, name, e) => {
    const { groups } = await services[name]!.score([
      { context: rolePlayMessages(methodsInputOf(e)), responses: [e.golden] },
    ]);
    const score = groups[0]![0]!;
    expect(Array.from(score.tokenIds)).toEqual(e.golden_token_ids);
    const expected = e.policies[name]!.golden_token_logprobs;
    expect(score.logProbs.length).toBe(expected.length);
    score.logProbs.forEach((lp, t) => expect(Math.abs(lp - expected[t]!)).toBeLessThan(METHODS_LOGPROB_TOLERANCE));
  });
});
