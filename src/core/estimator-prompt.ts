/**
 * The estimator's prompt (template "est-v1", method.md section 2): how the scorer q sees a sample
 * when it scores a response. A system instruction, then one user turn holding the persona, the
 * character, the dialogue as numbered `User Query k:` / `Agent Response k:` lines ending with an
 * open `Agent Response K:`, and, with reasoning, the core features r. The response is scored as
 * the assistant turn `## Agent Response\n{y}`; only y's tokens count.
 */
import { renderCharacter, type ChatMessage, type RolePlayInput } from './prompt.js';

export const ESTIMATOR_TEMPLATE_VERSION = 'est-v1';

export const ESTIMATOR_SYSTEM_PROMPT =
  'You are given a role-play: the user persona, the agent character and the dialogue so far. ' +
  'Complete the agent response after considering the core features.';

/** Written before the response inside the assistant turn; not part of the scored span. */
export const ESTIMATOR_RESPONSE_PREFIX = '## Agent Response\n';

/** The user turn: persona, character, numbered dialogue, and the core features when given. */
export function renderEstimatorUserBlock(input: RolePlayInput, reasoning?: string): string {
  const lines = [
    '## User Persona',
    input.userPersona.trim() || '(unknown)',
    '',
    '## Agent Character',
    renderCharacter(input.agentCharacter),
    '',
    '## Dialogue Context',
  ];
  let k = 0;
  for (const turn of input.dialogue) {
    if (turn.role === 'user') lines.push(`User Query ${++k}: ${turn.text.trim()}`);
    else lines.push(`Agent Response ${k}: ${turn.text.trim()}`);
  }
  lines.push(`Agent Response ${k}: `);
  if (reasoning !== undefined) lines.push('', '## Core Features', reasoning.trim());
  return lines.join('\n');
}

/** The context messages the estimator scores a response after. */
export function estimatorMessages(input: RolePlayInput, reasoning?: string): ChatMessage[] {
  return [
    { role: 'system', content: ESTIMATOR_SYSTEM_PROMPT },
    { role: 'user', content: renderEstimatorUserBlock(input, reasoning) },
  ];
}
