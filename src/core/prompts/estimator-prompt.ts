/**
 * The estimator's prompt (template "est-v1", docs/method.md section 2): how the scorer q sees a sample
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

/**
 * The null context ∅ of the null-prompt estimator (docs/method.md section 3): a sample with nothing
 * in it. The persona is empty (rendered "(unknown)", as for any sample without one), the
 * character is empty, and the dialogue is a single empty user query, because every rendering
 * expects the dialogue to end with a user query. Rendered with the same template as the real
 * contexts, ∅ keeps the format (the "domain") and drops every fact about the sample, so
 * s(x, y) − s(∅, y) is the domain-conditional PMI. It is one fixed input for every sample and
 * category, so its scores are computed once per response and cached.
 */
export const NULL_ROLE_PLAY_INPUT: RolePlayInput = Object.freeze({
  userPersona: '',
  agentCharacter: '',
  dialogue: Object.freeze([Object.freeze({ role: 'user' as const, text: '' })]),
});

/**
 * Persona, character and the numbered dialogue as Markdown sections, without the open agent
 * response: shared by the estimator's prompt and the thought prompt (thought-prompt.ts).
 */
export function renderRolePlaySections(input: RolePlayInput): string[] {
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
  return lines;
}

/** The number of user queries in the dialogue: K of the open `Agent Response K:`. */
function userQueries(input: RolePlayInput): number {
  return input.dialogue.filter((t) => t.role === 'user').length;
}

/**
 * The user turn: persona, character, numbered dialogue, and the core features when given. An
 * empty reasoning (a thought model that wrote nothing) still gives the `## Core Features`
 * heading, with nothing under it: the context keeps the shape the estimator expects.
 */
export function renderEstimatorUserBlock(input: RolePlayInput, reasoning?: string): string {
  const lines = [...renderRolePlaySections(input), `Agent Response ${userQueries(input)}: `];
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
