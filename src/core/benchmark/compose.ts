/**
 * Compositional (dialogue) shifts built from in-distribution conversations (docs/method.md section 1):
 *   - turn level: two n-turn dialogues joined into one 2n-turn dialogue; the golden response is
 *     the second dialogue's n-th agent turn, so the model must answer after an unrelated start;
 *   - word level: one word of the final user query swapped for another of the same kind (a pet
 *     for a pet, a colour for a colour), applied to the golden response as well, so that the
 *     golden response stays the right answer to the edited query.
 * Words are runs of letters and digits (with inner apostrophes or hyphens), so a swap never
 * touches part of a longer word and "dogs." still counts as "dogs".
 */
import type { PaperDialogueEntry, PaperSample } from './format.js';
import type { Conversation } from './importers/conversation.js';

/** A's first `turns` pairs, then B's first `turns` pairs; B's character answers B's last query. */
export function composeTurnLevel(
  a: Conversation,
  b: Conversation,
  options: { turns: number; tag: string; id: string },
): PaperSample {
  const { turns } = options;
  if (a.pairs.length < turns || b.pairs.length < turns) {
    throw new RangeError(`both dialogues need ${turns} turns (${a.id}: ${a.pairs.length}, ${b.id}: ${b.pairs.length})`);
  }
  const dialogue: PaperDialogueEntry[] = [];
  for (const [user, agent] of [...a.pairs.slice(0, turns), ...b.pairs.slice(0, turns - 1)]) {
    dialogue.push({ user_query: user }, { agent_response: agent });
  }
  const [query, golden] = b.pairs[turns - 1]!;
  dialogue.push({ user_query: query });
  return {
    sample_ID: options.id,
    user_persona: b.userPersona,
    agent_character: b.agentCharacter,
    dialogue_context: dialogue,
    agent_golden_response: golden,
    subset_tag: options.tag,
    language: b.language,
    composed_from: [a.id, b.id],
  };
}

const WORD = /[\p{L}\p{N}]+(?:['\u2019-][\p{L}\p{N}]+)*/gu;

/** The words of a text, as written. */
export function words(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** Replaces every whole-word occurrence of `from` by `to`. */
export function swapWord(text: string, from: string, to: string): string {
  return text.replace(WORD, (word) => (word === from ? to : word));
}

/**
 * Words of the final query of the window ending at pair `turn` (1-based) that the golden reply
 * repeats, that belong to one of `classes`, and that neither the persona nor the earlier turns of
 * the window mention: changing such a word changes what a good reply says, and nothing else in
 * the context contradicts the change.
 */
export function swappableWords(
  conversation: Conversation,
  turn: number,
  windowTurns: number,
  classes: readonly (readonly string[])[],
): string[] {
  const [query, golden] = conversation.pairs[turn - 1]!;
  const inClass = new Set(classes.flat());
  const goldenWords = new Set(words(golden));
  const earlier = conversation.pairs
    .slice(Math.max(0, turn - windowTurns), turn - 1)
    .flatMap(([u, a]) => [...words(u), ...words(a)]);
  const taken = new Set([...words(conversation.agentCharacter), ...words(conversation.userPersona), ...earlier]);
  return [...new Set(words(query))].filter((w) => inClass.has(w) && goldenWords.has(w) && !taken.has(w));
}

/**
 * The window of `windowTurns` pairs ending at pair `turn`, with `from` swapped for `to` in the
 * final query and in the golden response. The edit is recorded in `word_edit`.
 */
export function composeWordLevel(
  conversation: Conversation,
  options: { turn: number; windowTurns: number; from: string; to: string; tag: string; id: string },
): PaperSample {
  const { turn, windowTurns, from, to } = options;
  const first = Math.max(1, turn - windowTurns + 1);
  const dialogue: PaperDialogueEntry[] = [];
  for (const [user, agent] of conversation.pairs.slice(first - 1, turn - 1))
    dialogue.push({ user_query: user }, { agent_response: agent });
  const [query, golden] = conversation.pairs[turn - 1]!;
  const editedQuery = swapWord(query, from, to);
  if (editedQuery === query)
    throw new RangeError(`"${from}" is not a word of the query of ${conversation.id} turn ${turn}`);
  dialogue.push({ user_query: editedQuery });
  return {
    sample_ID: options.id,
    user_persona: conversation.userPersona,
    agent_character: conversation.agentCharacter,
    dialogue_context: dialogue,
    agent_golden_response: swapWord(golden, from, to),
    subset_tag: options.tag,
    language: conversation.language,
    word_edit: { from, to, source: `${conversation.id}-t${turn}`, original_query: query },
  };
}
