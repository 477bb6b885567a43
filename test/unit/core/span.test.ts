import { describe, expect, it } from 'vitest';
import {
  RESPONSE_MARKER,
  ResponseNotFoundError,
  locateResponse,
  tokenSpanFromChars,
  piecesFromPrefixes,
  cutAtStop,
} from '../../../src/core/index.js';

/** A toy tokenization: the text split into the given pieces; prefixChars(i) = chars of the first i pieces. */
function toy(pieces: string[]) {
  const ends = [0];
  for (const p of pieces) ends.push(ends.at(-1)! + p.length);
  return { prefixChars: (i: number) => ends[i]!, count: pieces.length, text: pieces.join('') };
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
    expect(tokenSpanFromChars(t.prefixChars, t.count, { start: 6, end: 11 })).toEqual({ start: 3, end: 5 });
  });
  it('includes tokens that straddle either boundary', () => {
    // " Hel" holds the space before the response; "lo!" runs past its end.
    const t = toy(['A:', ' Hel', 'lo!', 'x']);
    // response "Hello" = chars 3..8
    expect(tokenSpanFromChars(t.prefixChars, t.count, { start: 3, end: 8 })).toEqual({ start: 1, end: 3 });
  });
  it('handles a one-token response at the end of the text', () => {
    const t = toy(['ctx', 'R']);
    expect(tokenSpanFromChars(t.prefixChars, t.count, { start: 3, end: 4 })).toEqual({ start: 1, end: 2 });
  });
  it('rejects an empty response', () => {
    const t = toy(['a', 'b']);
    expect(() => tokenSpanFromChars(t.prefixChars, t.count, { start: 1, end: 1 })).toThrow(RangeError);
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
