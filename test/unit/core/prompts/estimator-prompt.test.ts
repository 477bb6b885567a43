import { describe, expect, it } from 'vitest';
import {
  estimatorMessages,
  renderEstimatorUserBlock,
  ESTIMATOR_SYSTEM_PROMPT,
  NULL_ROLE_PLAY_INPUT,
} from '../../../../src/core/prompts/estimator-prompt.js';
import { renderRolePlayUserBlock } from '../../../../src/core/prompts/prompt.js';

const input = {
  userPersona: '',
  agentCharacter: { name: 'Sherlock Holmes', profile: 'A consulting detective.' },
  dialogue: [
    { role: 'user' as const, text: 'Hello! ' },
    { role: 'agent' as const, text: 'Good evening.' },
    { role: 'user' as const, text: 'Who are you?' },
  ],
};

describe('estimator prompt (est-v1)', () => {
  it('numbers the turns and ends with the open agent response', () => {
    expect(renderEstimatorUserBlock(input)).toBe(
      [
        '## User Persona',
        '(unknown)',
        '',
        '## Agent Character',
        'name: Sherlock Holmes',
        'profile: A consulting detective.',
        '',
        '## Dialogue Context',
        'User Query 1: Hello!',
        'Agent Response 1: Good evening.',
        'User Query 2: Who are you?',
        'Agent Response 2: ',
      ].join('\n'),
    );
  });

  it('adds the core features only when a reasoning is given', () => {
    const withR = renderEstimatorUserBlock(input, ' Core features: polite, deductive. ');
    expect(withR.endsWith('Agent Response 2: \n\n## Core Features\nCore features: polite, deductive.')).toBe(true);
    const messages = estimatorMessages(input);
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[0]!.content).toBe(ESTIMATOR_SYSTEM_PROMPT);
    expect(messages[1]!.content).not.toContain('Core Features');
  });

  it('keeps an empty core-features block for an empty reasoning', () => {
    expect(renderEstimatorUserBlock(input, '  ').endsWith('Agent Response 2: \n\n## Core Features\n')).toBe(true);
  });

  it('renders the null context with every field empty, in both templates', () => {
    expect(renderEstimatorUserBlock(NULL_ROLE_PLAY_INPUT)).toBe(
      [
        '## User Persona',
        '(unknown)',
        '',
        '## Agent Character',
        '',
        '',
        '## Dialogue Context',
        'User Query 1: ',
        'Agent Response 1: ',
      ].join('\n'),
    );
    expect(renderRolePlayUserBlock(NULL_ROLE_PLAY_INPUT)).toBe(
      [
        '<user_persona>',
        '(unknown)',
        '</user_persona>',
        '<character>',
        '',
        '</character>',
        '<dialogue>',
        'User: ',
        '</dialogue>',
      ].join('\n'),
    );
  });
});
