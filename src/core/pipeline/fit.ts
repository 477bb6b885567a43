/**
 * Over-long inputs (docs/method.md section 2): the dialogue is truncated from the oldest turn, a
 * user-query/agent-response pair at a time, until the model accepts it; the response is never
 * cut. Callers count what was truncated: a truncated sample is flagged, never scored as 0.
 */
import type { RolePlayInput } from '../prompts/prompt.js';

export interface Fitted<T> {
  readonly value: T;
  /** Dialogue entries dropped from the front (0 when it fit as it was). */
  readonly droppedTurns: number;
}

/** The input without its `drop` oldest dialogue entries (the final user query always stays). */
export function dropOldestTurns(input: RolePlayInput, drop: number): RolePlayInput {
  return { ...input, dialogue: input.dialogue.slice(Math.min(drop, input.dialogue.length - 1)) };
}

/**
 * Runs `attempt` on the input, then on it with 2, 4, ... oldest entries dropped while the model
 * answers ContextTooLongError. Rethrows when even the last user query alone is too long.
 */
export async function withOldestTurnsDropped<T>(
  input: RolePlayInput,
  attempt: (input: RolePlayInput) => Promise<T>,
): Promise<Fitted<T>> {
  for (let drop = 0; ; drop += 2) {
    const trimmed = dropOldestTurns(input, drop);
    try {
      return { value: await attempt(trimmed), droppedTurns: input.dialogue.length - trimmed.dialogue.length };
    } catch (error) {
      if ((error as Error).name !== 'ContextTooLongError' || trimmed.dialogue.length <= 1) throw error;
    }
  }
}
