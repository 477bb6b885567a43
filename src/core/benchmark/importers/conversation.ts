/**
 * What the dialogue sources have in common: a conversation of (user, agent) turn pairs with
 * personas. A sample is the conversation cut before one agent turn, which becomes the golden
 * response.
 */
import type { PaperDialogueEntry, PaperSample } from '../format.js';

export interface Conversation {
  /** Stable within its source file, e.g. "xpersona-en-test-17". */
  readonly id: string;
  readonly userPersona: string;
  readonly agentCharacter: string;
  readonly pairs: readonly (readonly [user: string, agent: string])[];
  readonly language: string;
}

/** A converter's input could not be read as the source format it was asked for. */
export class ImportError extends Error {
  override readonly name = 'ImportError';
}

/** Persona sentences, one per line, blanks dropped. */
export function joinPersona(sentences: readonly string[]): string {
  return sentences
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join('\n');
}

export interface CutOptions {
  /** 1-based index of the agent turn to predict. */
  readonly turn: number;
  /** 1-based index of the first pair kept in the context (default 1: the whole history). */
  readonly firstTurn?: number;
  readonly tag: string;
  readonly id?: string;
}

/** The sample answering pair `turn` with pairs firstTurn..turn-1 and the user query of `turn`. */
export function cutConversation(conversation: Conversation, options: CutOptions): PaperSample {
  const { turn, firstTurn = 1 } = options;
  if (!Number.isInteger(turn) || turn < 1 || turn > conversation.pairs.length) {
    throw new RangeError(`${conversation.id} has ${conversation.pairs.length} turns; cannot cut at turn ${turn}`);
  }
  if (!Number.isInteger(firstTurn) || firstTurn < 1 || firstTurn > turn) {
    throw new RangeError(`firstTurn must be in 1..${turn}, got ${firstTurn}`);
  }
  const dialogue: PaperDialogueEntry[] = [];
  for (const [user, agent] of conversation.pairs.slice(firstTurn - 1, turn - 1)) {
    dialogue.push({ user_query: user }, { agent_response: agent });
  }
  const [query, golden] = conversation.pairs[turn - 1]!;
  dialogue.push({ user_query: query });
  return {
    sample_ID: options.id ?? `${conversation.id}-t${turn}`,
    user_persona: conversation.userPersona,
    agent_character: conversation.agentCharacter,
    dialogue_context: dialogue,
    agent_golden_response: golden,
    subset_tag: options.tag,
    language: conversation.language,
  };
}
