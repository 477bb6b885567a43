/**
 * The multilingual demo model in Node: rendering, tokenization, response spans and log-probs
 * equal what its training script computed in PyTorch (test/fixtures/demo-models), in every
 * language of its fixture.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolePlayMessages, type ChatMessage } from '../../src/core/index.js';
import type { ModelService } from '../../src/protocol/model-service.js';
import { createNodeModelService } from '../../workers/node.js';

const MODEL_ID = 'rolescope-tiny-multi';

const fixture = JSON.parse(readFileSync(`test/fixtures/demo-models/${MODEL_ID}.json`, 'utf8')) as {
  examples: {
    user_persona: string;
    agent_character: string;
    dialogue: { role: 'user' | 'agent'; text: string }[];
    response: string;
    messages: ChatMessage[];
    token_ids: number[];
    response_token_span: [number, number];
    response_token_logprobs: number[];
    mean_logprob: number;
  }[];
};

let service: ModelService;
beforeAll(async () => {
  service = createNodeModelService();
  await service.load({ source: 'bundled', id: MODEL_ID });
});
afterAll(async () => service?.dispose());

describe(`${MODEL_ID} against its PyTorch fixture`, () => {
  it('scores every fixture example like the training script did', async () => {
    const contexts = fixture.examples.map((e) =>
      rolePlayMessages({ userPersona: e.user_persona, agentCharacter: e.agent_character, dialogue: e.dialogue }),
    );
    contexts.forEach((c, i) => expect(c).toEqual(fixture.examples[i]!.messages.slice(0, 2)));
    const result = await service.score(
      fixture.examples.map((e, i) => ({ context: contexts[i]!, responses: [e.response.trim()] })),
    );
    fixture.examples.forEach((e, i) => {
      const score = result.groups[i]![0]!;
      const [start, end] = e.response_token_span;
      expect(Array.from(score.tokenIds)).toEqual(e.token_ids.slice(start, end));
      expect(score.contextTokens).toBe(start);
      score.logProbs.forEach((lp, t) => expect(Math.abs(lp - e.response_token_logprobs[t]!)).toBeLessThan(1e-4));
      expect(Math.abs(score.meanLogProb - e.mean_logprob)).toBeLessThan(1e-4);
      expect(score.tokenTexts.join('')).toBe(e.response.trim());
    });
  });
});
