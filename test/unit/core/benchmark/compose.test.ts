import { describe, expect, it } from 'vitest';
import {
  composeTurnLevel,
  composeWordLevel,
  swappableWords,
  swapWord,
  words,
} from '../../../../src/core/benchmark/compose.js';
import type { Conversation } from '../../../../src/core/benchmark/importers/index.js';

const conversation = (id: string, character: string, pairs: [string, string][]): Conversation => ({
  id,
  userPersona: '',
  agentCharacter: character,
  pairs,
  language: 'en',
});

const a = conversation('a', 'i am a pilot.', [
  ['hi', 'hello'],
  ['how are you ?', 'tired .'],
  ['why ?', 'long flight .'],
]);
const b = conversation('b', 'i own two dogs.', [
  ['hey', 'hey there'],
  ['what do you do ?', 'i walk dogs .'],
  ['do you like jazz ?', 'jazz is my favorite , and blue is my color .'],
]);

describe('composeTurnLevel', () => {
  it("joins A's turns and B's turns; B's character answers B's query", () => {
    const sample = composeTurnLevel(a, b, { turns: 2, tag: 'TurnLevelComposition', id: 'ab' });
    expect(sample.dialogue_context).toEqual([
      { user_query: 'hi' },
      { agent_response: 'hello' },
      { user_query: 'how are you ?' },
      { agent_response: 'tired .' },
      { user_query: 'hey' },
      { agent_response: 'hey there' },
      { user_query: 'what do you do ?' },
    ]);
    expect(sample.agent_golden_response).toBe('i walk dogs .');
    expect(sample.agent_character).toBe('i own two dogs.');
    expect(sample.composed_from).toEqual(['a', 'b']);
    expect(() => composeTurnLevel(a, b, { turns: 4, tag: 'T', id: 'x' })).toThrow(RangeError);
  });
});

describe('word-level edits', () => {
  it('words() splits on non-letters and keeps inner apostrophes', () => {
    expect(words("i've two dogs. blue-green, ok?")).toEqual(["i've", 'two', 'dogs', 'blue-green', 'ok']);
  });

  it('swapWord replaces whole words only', () => {
    expect(swapWord('dogs, hotdogs and dogs.', 'dogs', 'cats')).toBe('cats, hotdogs and cats.');
  });

  it('finds words the reply repeats that the persona and earlier turns do not mention', () => {
    const classes = [
      ['jazz', 'rap', 'reggae'],
      ['dogs', 'cats'],
    ];
    // Turn 3: "jazz" is in query and reply and nowhere before; "dogs" is in the persona ("dogs.").
    expect(swappableWords(b, 3, 3, classes)).toEqual(['jazz']);
    // Turn 2: "dogs" is in the reply but not in the query.
    expect(swappableWords(b, 2, 3, classes)).toEqual([]);
  });

  it('edits the final query and the golden reply together, in a window', () => {
    const sample = composeWordLevel(b, {
      turn: 3,
      windowTurns: 2,
      from: 'jazz',
      to: 'reggae',
      tag: 'WordLevelComposition',
      id: 'w',
    });
    expect(sample.dialogue_context).toEqual([
      { user_query: 'what do you do ?' },
      { agent_response: 'i walk dogs .' },
      { user_query: 'do you like reggae ?' },
    ]);
    expect(sample.agent_golden_response).toBe('reggae is my favorite , and blue is my color .');
    expect(sample.word_edit).toEqual({
      from: 'jazz',
      to: 'reggae',
      source: 'b-t3',
      original_query: 'do you like jazz ?',
    });
    expect(() => composeWordLevel(b, { turn: 3, windowTurns: 2, from: 'rap', to: 'jazz', tag: 'W', id: 'w' })).toThrow(
      RangeError,
    );
  });
});
