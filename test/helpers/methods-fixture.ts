/**
 * test/fixtures/methods/models.json: what the trained method policies computed in PyTorch (written
 * by scripts/methods/bundle.py), which the bundled policies are held to on every runtime
 * (test/integration/method-models.test.ts in Node, test/e2e/method-models.test.ts in Chromium).
 */
import { readFileSync } from 'node:fs';
import type { ChatMessage, DialogueTurn, RolePlayInput } from '../../src/core/index.js';

export interface MethodOutput {
  /** The greedy output with the app’s policy decoding, thought included, trimmed. */
  readonly text: string;
  /** What the pipeline keeps of it (scripts/methods/policy.py reply_of). */
  readonly reply: string;
  /** Per-token log-probs of the golden reply after the rp-v1 context. */
  readonly golden_token_logprobs: number[];
}

export interface MethodsFixtureExample {
  readonly id: string;
  readonly user_persona: string;
  readonly agent_character: string;
  readonly dialogue: DialogueTurn[];
  readonly golden: string;
  readonly messages: ChatMessage[];
  readonly golden_token_ids: number[];
  /** By trainer name (sft, think, rl). */
  readonly policies: Record<string, MethodOutput>;
}

export interface MethodsFixture {
  readonly base: string;
  readonly generation: { max_new_tokens: number; greedy: boolean; repetition_penalty: number };
  /** Trainer name → bundled id. */
  readonly policies: Record<string, string>;
  readonly examples: MethodsFixtureExample[];
}

export const readMethodsFixture = (): MethodsFixture =>
  JSON.parse(readFileSync('test/fixtures/methods/models.json', 'utf8')) as MethodsFixture;

export const methodsInputOf = (e: MethodsFixtureExample): RolePlayInput => ({
  userPersona: e.user_persona,
  agentCharacter: e.agent_character,
  dialogue: e.dialogue,
});

/** The per-token log-probs' tolerance against the PyTorch reference (fp32 on every runtime). */
export const METHODS_LOGPROB_TOLERANCE = 1e-4;
