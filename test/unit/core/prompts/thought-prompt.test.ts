import { describe, expect, it } from 'vitest';
import {
  THOUGHT_SYSTEM_PROMPT,
  THOUGHT_TASK,
  THOUGHT_TEMPLATE_VERSION,
  renderThoughtUserBlock,
  thoughtMessages,
} from '../../../../src/core/prompts/thought-prompt.js';
import type { BenchmarkSample } from '../../../../src/core/benchmark/format.js';

const input = {
  userPersona: ' A retired sailor who loves knots. ',
  agentCharacter: { name: 'Sherlock Holmes', profile: 'A consulting detective.' },
  dialogue: [
    { role: 'user' as const, text: 'Hello! ' },
    { role: 'agent' as const, text: 'Good evening.' },
    { role: 'user' as const, text: 'Which knot holds best?' },
  ],
};

describe('thought prompt (th-v1)', () => {
  it('renders persona, character and the numbered dialogue, then the task, and nothing else', () => {
    expect(THOUGHT_TEMPLATE_VERSION).toBe('th-v1');
    expect(renderThoughtUserBlock(input)).toBe(
      [
        '## User Persona',
        'A retired sailor who loves knots.',
        '',
        '## Agent Character',
        'name: Sherlock Holmes',
        'profile: A consulting detective.',
        '',
        '## Dialogue Context',
        'User Query 1: Hello!',
        'Agent Response 1: Good evening.',
        'User Query 2: Which knot holds best?',
        '',
        '## Task',
        'In one or two sentences, say what matters in the user persona, the agent character and the dialogue. ' +
          'Then write "Core features:" and a short list of what a good next agent response should contain ' +
          '(content and style).',
      ].join('\n'),
    );
    const messages = thoughtMessages(input);
    expect(messages).toEqual([
      { role: 'system', content: THOUGHT_SYSTEM_PROMPT },
      { role: 'user', content: renderThoughtUserBlock(input) },
    ]);
    // No open "Agent Response 2:" line: the thought model is not asked to write the response.
    expect(messages[1]!.content).not.toMatch(/Agent Response 2/);
    expect(messages[1]!.content.endsWith(THOUGHT_TASK)).toBe(true);
  });

  it('never carries the golden response, even when handed a whole benchmark sample', () => {
    const sample: BenchmarkSample = {
      id: 's1',
      category: 'IDTest',
      split: null,
      ...input,
      goldenResponse: 'The bowline, my dear sailor.',
      reasoning: 'Core features: names a knot.',
      extra: { note: 'secret extra' },
    };
    const text = thoughtMessages(sample)
      .map((m) => m.content)
      .join('\n');
    expect(text).not.toContain('bowline');
    expect(text).not.toContain('names a knot');
    expect(text).not.toContain('secret extra');
    expect(thoughtMessages(sample)).toEqual(thoughtMessages(input));
  });
});
