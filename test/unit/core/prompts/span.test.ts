import { describe, expect, it } from 'vitest';
import {
  RESPONSE_MARKER,
  ResponseNotFoundError,
  locateResponse,
  tokenSpanFromChars,
  piecesFromPrefixes,
  cutAtStop,
} from '../../../../src/core/index.js';

/** A toy tokenization: the text split into the given pieces; prefixText(i) = the first i pieces. */
function toy(pieces: string[]) {
  return { prefixText: (i: number) => pieces.slice(0, i).join(''), count: pieces.length, text: pieces.join('') };
}

describe('locateResponse', () => {
  const wrap = (r: string) => `<|im_start|>assistant\n${r}<|im_end|>\n`;
  it('finds the response characters from the marker rendering', () => {
    const full = wrap('Hello there');
    expect(locateResponse(full, wrap(RESPONSE_MARKER), 'Hello there')).toEqual({ start: 22, end: 33 });
    expect(full.slice(22, 33)).toBe('Hello there');
  });
  it('refuses a template that altered the response', () => {
    const trimming = (r: string) => `A: ${r.trim()}!`;
    expect(() => locateResponse(trimming(' hi '), trimming(RESPONSE_MARKER), ' hi ')).toThrow(ResponseNotFoundError);
    expect(() => locateResponse('abc', 'no marker here', 'abc')).toThrow(ResponseNotFoundError);
  });
});

describe('tokenSpanFromChars', () => {
  it('maps aligned boundaries exactly', () => {
    // "<s>" "A:" " " | "Hel" "lo" | "</s>"; response "Hello" is chars 6..11
    const t = toy(['<s>', 'A:', ' ', 'Hel', 'lo', '</s>']);
    expect(t.text.slice(6, 11)).toBe('Hello');
    expect(tokenSpanFromChars(t.prefixText, t.count, { start: 6, end: 11 })).toEqual({ start: 3, end: 5 });
  });
  it('includes tokens that straddle either boundary', () => {
    // " Hel" holds the space before the response; "lo!" runs past its end.
    const t = toy(['A:', ' Hel', 'lo!', 'x']);
    // response "Hello" = chars 3..8
    expect(tokenSpanFromChars(t.prefixText, t.count, { start: 3, end: 8 })).toEqual({ start: 1, end: 3 });
  });
  it('handles a one-token response at the end of the text', () => {
    const t = toy(['ctx', 'R']);
    expect(tokenSpanFromChars(t.prefixText, t.count, { start: 3, end: 4 })).toEqual({ start: 1, end: 2 });
  });
  it('keeps every byte token of characters split across tokens, at both ends', () => {
    // "ab" then the response "世界": 世 is three byte tokens, 界 two. A prefix ending inside a
    // character decodes with a trailing U+FFFD, as a byte-level decoder does.
    const prefixes = ['', 'a', 'ab', 'ab\uFFFD', 'ab\uFFFD', 'ab世', 'ab世\uFFFD', 'ab世界', 'ab世界!'];
    const span = tokenSpanFromChars((i) => prefixes[i]!, 8, { start: 2, end: 4 });
    expect(span).toEqual({ start: 2, end: 7 });
  });
  it('takes a right guess with four decodes, and finds the span past a wrong one', () => {
    // The split-character case above: every guess, right or wrong, gives the searched span.
    const prefixes = ['', 'a', 'ab', 'ab\uFFFD', 'ab\uFFFD', 'ab世', 'ab世\uFFFD', 'ab世界', 'ab世界!'];
    const chars = { start: 2, end: 4 };
    const searched = tokenSpanFromChars((i) => prefixes[i]!, 8, chars);
    for (let start = -1; start <= 9; start++) {
      for (let end = start; end <= 10; end++) {
        expect(
          tokenSpanFromChars((i) => prefixes[i]!, 8, chars, { start, end }),
          `${start}..${end}`,
        ).toEqual(searched);
      }
    }
    const asked: number[] = [];
    tokenSpanFromChars((i) => (asked.push(i), prefixes[i]!), 8, chars, searched);
    expect(asked).toEqual([2, 3, 7, 6]);
  });
  it('rejects an empty response', () => {
    const t = toy(['a', 'b']);
    expect(() => tokenSpanFromChars(t.prefixText, t.count, { start: 1, end: 1 })).toThrow(RangeError);
  });
});

describe('piecesFromPrefixes', () => {
  it('gives each token the text it adds', () => {
    expect(piecesFromPrefixes(['He', 'Hello', 'Hello!'])).toEqual(['He', 'llo', '!']);
  });
  it('assigns a split multi-byte character to the token completing it', () => {
    // "é" split over two byte tokens: the first prefix decodes to a replacement character.
    expect(piecesFromPrefixes(['caf', 'caf\uFFFD', 'café', 'café!'])).toEqual(['caf', '', 'é', '!']);
    expect(piecesFromPrefixes(['caf', 'caf\uFFFD', 'café', 'café!']).join('')).toBe('café!');
  });
});

describe('cutAtStop', () => {
  it('cuts at the earliest stop string', () => {
    expect(cutAtStop('Hi there\nUser: next', ['User:', '\n'])).toEqual({ text: 'Hi there', stopped: true });
    expect(cutAtStop('no stop', ['###'])).toEqual({ text: 'no stop', stopped: false });
    expect(cutAtStop('x', [''])).toEqual({ text: 'x', stopped: false });
  });
});
