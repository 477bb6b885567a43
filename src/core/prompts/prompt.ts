/**
 * The role-play prompt (template "rp-v1"): how a sample becomes the chat a role-playing model
 * answers. The bundled demo models were trained on exactly this rendering (scripts/demo_models/
 * data.py renders the same text; test/integration/model-service.test.ts checks both agree on the
 * training script's own examples).
 */

export const ROLE_PLAY_TEMPLATE_VERSION = 'rp-v1';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

export interface DialogueTurn {
  readonly role: 'user' | 'agent';
  readonly text: string;
}

/** The input x = (u, c, d) of a role-play sample. */
export interface RolePlayInput {
  /** u: the user persona (empty when unknown). */
  readonly userPersona: string;
  /** c: the agent character, as text or a structured profile. */
  readonly agentCharacter: string | Readonly<Record<string, unknown>>;
  /** d: the dialogue so far, alternating and ending with a user query. */
  readonly dialogue: readonly DialogueTurn[];
}

export const ROLE_PLAY_SYSTEM_PROMPT =
  "You are a role-playing agent. Stay in character as the agent described in <character>, serve the user described in <user_persona>, and write the agent's next response to the dialogue.";

/** A structured character profile becomes `key: value` lines, in the object's key order. */
export function renderCharacter(character: RolePlayInput['agentCharacter']): string {
  if (typeof character === 'string') return character.trim();
  return Object.entries(character)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value.trim() : JSON.stringify(value)}`)
    .join('\n');
}

/** The user turn of the prompt: persona, character and dialogue in tagged blocks. */
export function renderRolePlayUserBlock(input: RolePlayInput): string {
  const turns = input.dialogue.map((t) => `${t.role === 'user' ? 'User' : 'Agent'}: ${t.text.trim()}`);
  return [
    '<user_persona>',
    input.userPersona.trim() || '(unknown)',
    '</user_persona>',
    '<character>',
    renderCharacter(input.agentCharacter),
    '</character>',
    '<dialogue>',
    ...turns,
    '</dialogue>',
  ].join('\n');
}

/** The context messages (system + user) a role-playing model answers. */
export function rolePlayMessages(input: RolePlayInput): ChatMessage[] {
  return [
    { role: 'system', content: ROLE_PLAY_SYSTEM_PROMPT },
    { role: 'user', content: renderRolePlayUserBlock(input) },
  ];
}

/**
 * Rendering for a model without a chat template: messages as plain paragraphs, the assistant's
 * turn introduced by "Agent:". With `addGenerationPrompt` the text ends where the reply begins.
 */
export function renderPlainChat(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
  const parts = messages.map((m) => (m.role === 'assistant' ? `Agent: ${m.content}` : m.content));
  return parts.join('\n\n') + (addGenerationPrompt ? '\n\nAgent: ' : '');
}
