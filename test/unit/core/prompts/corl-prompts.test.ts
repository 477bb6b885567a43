/**
 * The Python mirrors of th-v1 and est-v1 (scripts/corl/prompts.py), which CoRL trains the thought
 * model and the estimator with, render exactly what the app renders: the fixture holds the
 * Python renderings of hand-made inputs (scripts/corl/write_prompt_fixture.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ESTIMATOR_RESPONSE_PREFIX,
  ESTIMATOR_TEMPLATE_VERSION,
  THOUGHT_TEMPLATE_VERSION,
  estimatorMessages,
  thoughtMessages,
  type ChatMessage,
  type DialogueTurn,
  type RolePlayInput,
} from '../../../../src/core/index.js';

interface FixtureCase {
  readonly name: string;
  readonly input: {
    readonly user_persona: string;
    readonly agent_character: string | Record<string, unknown>;
    readonly dialogue: DialogueTurn[];
  };
  readonly reasoning?: string;
  readonly thought: ChatMessage[];
  readonly estimator: ChatMessage[];
}

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/corl/prompts.json', import.meta.url), 'utf8')) as {
  thoughtTemplate: string;
  estimatorTemplate: string;
  responsePrefix: string;
  cases: FixtureCase[];
};

const toInput = (x: FixtureCase['input']): RolePlayInput => ({
  userPersona: x.user_persona,
  agentCharacter: x.agent_character,
  dialogue: x.dialogue,
});

describe('CoRL prompts: Python mirrors of th-v1 and est-v1', () => {
  it('were written for the current template versions and response prefix', () => {
    expect(fixture.thoughtTemplate).toBe(THOUGHT_TEMPLATE_VERSION);
    expect(fixture.estimatorTemplate).toBe(ESTIMATOR_TEMPLATE_VERSION);
    expect(fixture.responsePrefix).toBe(ESTIMATOR_RESPONSE_PREFIX);
    expect(fixture.cases.length).toBeGreaterThanOrEqual(6);
    // Reasoning given, empty and absent are all covered.
    expect(fixture.cases.some((c) => c.reasoning === undefined)).toBe(true);
    expect(fixture.cases.some((c) => c.reasoning === '')).toBe(true);
    expect(fixture.cases.some((c) => (c.reasoning ?? '').includes('Core features:'))).toBe(true);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(thoughtMessages(toInput(c.input))).toEqual(c.thought);
    expect(estimatorMessages(toInput(c.input), c.reasoning)).toEqual(c.estimator);
  });
});
