/**
 * test/fixtures/corl/models.json: what the trained CoRL models computed in PyTorch (written by
 * scripts/corl/write_model_fixture.py), which the bundled pair is held to on every runtime
 * (test/integration/corl-models.test.ts in Node, test/e2e/corl-models.test.ts in Chromium).
 */
import { readFileSync } from 'node:fs';
import type { ChatMessage, DialogueTurn, RolePlayInput } from '../../src/core/index.js';

export interface CorlFixtureExample {
  readonly id: string;
  readonly user_persona: string;
  readonly agent_character: string | Record<string, unknown>;
  readonly dialogue: DialogueTurn[];
  readonly golden: string;
  readonly thought_messages: ChatMessage[];
  readonly r: string;
  readonly estimator_messages: ChatMessage[];
  readonly response_token_ids: number[];
  readonly response_token_logprobs: number[];
}

export interface CorlFixture {
  readonly thought_generation: { max_new_tokens: number; greedy: boolean; repetition_penalty: number };
  readonly examples: CorlFixtureExample[];
}

export const readCorlFixture = (): CorlFixture =>
  JSON.parse(readFileSync('test/fixtures/corl/models.json', 'utf8')) as CorlFixture;

export const corlInputOf = (e: CorlFixtureExample): RolePlayInput => ({
  userPersona: e.user_persona,
  agentCharacter: e.agent_character,
  dialogue: e.dialogue,
});

/** The per-token log-probs' tolerance against the PyTorch reference (fp32 on every runtime). */
export const CORL_LOGPROB_TOLERANCE = 1e-4;
