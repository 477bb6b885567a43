/** JSON or JSON Lines: one JSON value wins, JSON Lines need an object on their first line. */
import { describe, expect, it } from 'vitest';
import { parseJsonLines, parseJsonOrLines } from '../../../src/core/jsonl.js';

describe('parseJsonOrLines', () => {
  it('reads one JSON value as such, even an object on one line', () => {
    expect(parseJsonOrLines('{"a": 1}')).toEqual({ kind: 'json', value: { a: 1 } });
    expect(parseJsonOrLines('[1, 2]')).toEqual({ kind: 'json', value: [1, 2] });
  });

  it('reads JSON Lines by line number, blank lines counted, a bad line carrying its error', () => {
    const parsed = parseJsonOrLines('{"a": 1}\r\n\n{"b": 2}\n{nope\n');
    expect(parsed.kind).toBe('lines');
    const lines = parsed.kind === 'lines' ? parsed.lines : [];
    expect(lines.slice(0, 2)).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, value: { b: 2 } },
    ]);
    expect(lines[2]).toMatchObject({ line: 4, invalid: expect.stringMatching(/^not valid JSON at column/) });
  });

  it('refuses text that is neither, with the whole text’s error', () => {
    expect(parseJsonLines('[1]\n[2]')).toBeNull();
    expect(parseJsonLines('  \n')).toBeNull();
    expect(parseJsonOrLines('[1]\n[2]')).toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/^not valid JSON at line 2/),
    });
  });
});
