/**
 * The thought prompt (template "th-v1", docs/method.md sections 1 and 5): how a thought model sees a
 * sample when it writes the reasoning r = f(x). It holds x = (u, c, d) alone, in the same
 * sections as the estimator's prompt, and never the golden response: there is no parameter that
 * could carry it. The instruction is short and concrete so that small models can follow it: one
 * or two sentences on what matters, then a "Core features:" list (content, style) of what a good
 * next agent response should contain. r then conditions the estimator only, never the policy.
 */
import { renderRolePlaySections } from './estimator-prompt.js';
import type { ChatMessage, RolePlayInput } from './prompt.js';

export const THOUGHT_TEMPLATE_VERSION = 'th-v1';

export const THOUGHT_SYSTEM_PROMPT =
  "You read a role-play and note what the agent's next response needs. Do not write the response itself.";

/** The task, after the sample: last, where a small model attends to it when it starts writing. */
export const THOUGHT_TASK =
  'In one or two sentences, say what matters in the user persona, the agent character and the dialogue. ' +
  'Then write "Core features:" and a short list of what a good next agent response should contain ' +
  '(content and style).';

/** The user turn: persona, character and numbered dialogue (as est-v1 renders them), then the task. */
export function renderThoughtUserBlock(input: RolePlayInput): string {
  return [...renderRolePlaySections(input), '', '## Task', THOUGHT_TASK].join('\n');
}

/** The messages a thought model answers with r. */
export function thoughtMessages(input: RolePlayInput): ChatMessage[] {
  return [
    { role: 'system', content: THOUGHT_SYSTEM_PROMPT },
    { role: 'user', content: renderThoughtUserBlock(input) },
  ];
}
