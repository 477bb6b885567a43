/**
 * Imported responses from the bad-input corpus (test/fixtures/bad/responses/), read as the run
 * panel and `npm run evaluate -- --responses` read them: bytes decoded strictly as UTF-8, then
 * `parseResponsesText` against the samples a run must answer (here "a", "b" and "c"). Each is
 * refused with its problems at their paths, or accepted with every response kept exactly; none
 * throws, none reaches Object.prototype, and the accepted responses are own keys of an object
 * without a prototype.
 */
import { describe, expect, it } from 'vitest';
import { decodeUtf8, parseResponsesText, type ResponsesParse } from '../../../src/core/index.js';
import {
  corpusBytes,
  corpusFiles,
  expectIssue,
  expectNoPollution,
  expectRefused,
  IMG,
  longText,
  SCRIPT,
  TEN_MIB,
  type Refusal,
} from './corpus.js';

type Expectation = { readonly refused: Refusal } | { readonly accepted: Record<string, string> };

const IDS = ['a', 'b', 'c'];
/** The IDs of prototype-ids.json: names every plain object inherits or reserves. */
const PROTOTYPE_IDS = ['__proto__', 'constructor', 'toString'];

const EXPECTED: Record<string, Expectation> = {
  'not-json.json': { refused: [['(file)', /^not valid JSON \(Unexpected token/]] },
  'truncated.json': { refused: [['(file)', 'not valid JSON at column 38 (Unterminated string']] },
  'empty.json': { refused: [['(file)', 'the file is empty']] },
  'top-level-number.json': {
    refused: [
      [
        '(file)',
        'expected an object of responses by sample ID, a list of {"sample_ID", "response"} objects, or JSON Lines; got a number',
      ],
    ],
  },
  'wrong-types.json': {
    refused: [
      ['["a"]', 'expected a string, got a number'],
      ['["b"]', 'expected a string, got null'],
      ['["c"]', 'expected a string, got a list'],
    ],
  },
  'wrong-types-list.json': {
    refused: [
      ['[0].sample_ID', 'expected a non-empty string or an integer, got a boolean'],
      ['[1].response', 'expected a string, got a number'],
      ['(file)', 'missing responses for 1 of the 3 samples to answer: "a"'],
    ],
  },
  'missing-fields.jsonl': {
    refused: [
      ['line 2, response', 'missing (expected a string)'],
      ['line 3, sample_ID', 'missing (expected a non-empty string or an integer)'],
      ['(file)', 'missing responses for 1 of the 3 samples to answer: "c"'],
    ],
  },
  'missing-samples.json': { refused: [['(file)', 'missing responses for 2 of the 3 samples to answer: "b", "c"']] },
  'extra-fields.json': { accepted: { a: 'Hello.', b: 'Hi.', c: '' } },
  'unknown-id.json': {
    refused: [['["zzz"]', 'unknown sample ID "zzz" (expected one of the benchmark\'s 3 sample IDs, e.g. "a")']],
  },
  'duplicate-ids.json': {
    refused: [['["a"]', 'duplicate ID "a" (the object names it 2 times; JSON would keep only the last)']],
  },
  'control-characters.json': {
    refused: [
      ['["a"]', 'contains the control character U+0000 at offset 3'],
      ['["b"]', 'contains the control character U+001B at offset 2'],
    ],
  },
  'lone-surrogate.json': { refused: [['["a"]', 'contains a lone UTF-16 surrogate (broken Unicode)']] },
  'bidi-in-text.json': { accepted: { a: 'Hello \u202Edlrow\u202C.', b: '\u2067שלום\u2069', c: 'Hey.' } },
  'invalid-utf8.json': { refused: [['(file)', /^the file is not UTF-8 text: byte 0xE9 at line 1 \(offset 29\)/]] },
  'html-injection.json': {
    accepted: { a: SCRIPT, b: IMG, c: '<a href="javascript:window.__pwned=1">link</a>' },
  },
  'proto-key.json': {
    refused: [['["__proto__"]', 'unknown sample ID "__proto__" (expected one of the benchmark\'s 3 sample IDs']],
  },
  // Fields besides sample_ID and response are ignored, "__proto__" among them.
  'proto-in-entry.jsonl': { accepted: { a: 'Hello.', b: 'Hi.', c: 'Hey.' } },
  // Not an object literal: in one, `__proto__: 'A.'` would set (or here, ignore) the prototype.
  'prototype-ids.json': { accepted: Object.fromEntries(PROTOTYPE_IDS.map((id, i) => [id, `${'ABC'[i]}.`])) },
};

/** What the run panel and the command line do with a responses file's bytes. */
function readResponses(bytes: Uint8Array, ids: readonly string[]): ResponsesParse {
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) return { ok: false, errors: [{ path: '(file)', message: decoded.message }] };
  return parseResponsesText(decoded.text, ids);
}

describe('responses files from the bad-input corpus', () => {
  it('has an expectation for every file, and every expectation has its file', () => {
    expect(corpusFiles('responses')).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expectation] of Object.entries(EXPECTED)) {
    it(file, () => {
      const ids = file === 'prototype-ids.json' ? PROTOTYPE_IDS : IDS;
      const parsed = readResponses(corpusBytes(`responses/${file}`), ids);
      expectNoPollution();
      if ('refused' in expectation) {
        expectRefused(parsed, expectation.refused);
        return;
      }
      expect(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors)).toBe(true);
      if (!parsed.ok) return;
      // Own keys of an object without a prototype: "__proto__" and "constructor" are plain IDs.
      expect(Object.getPrototypeOf(parsed.responses)).toBeNull();
      expect(Object.keys(parsed.responses).sort()).toEqual([...ids].sort());
      for (const id of ids) expect(parsed.responses[id], id).toBe(expectation.accepted[id]);
    });
  }
});

describe('large responses inputs (generated)', () => {
  const ids = Array.from({ length: 100_000 }, (_, i) => `s${i}`);

  it('accepts 100,000 responses within seconds', () => {
    const text = ids.map((id) => JSON.stringify({ sample_ID: id, response: `Reply to ${id}.` })).join('\n');
    const started = performance.now();
    const parsed = parseResponsesText(text, ids);
    expect((performance.now() - started) / 1000).toBeLessThan(15);
    expect(parsed.ok && parsed.responses['s99999']).toBe('Reply to s99999.');
  });

  it('lists at most 100 of 100,000 problems, saying how many more there were', () => {
    const parsed = parseResponsesText(JSON.stringify(Object.fromEntries(ids.map((id) => [id, 0]))), ids);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    // 98 listed, one line for the rest, and room for the missing samples' line (none here).
    expect(parsed.errors).toHaveLength(99);
    expectIssue(parsed.errors, '(file)', 'and 99902 more problems');
  });

  it('keeps a 10 MiB response character for character', () => {
    const big = longText(TEN_MIB, 'é');
    const parsed = parseResponsesText(JSON.stringify({ a: big, b: '', c: 'Hey.' }), IDS);
    expect(parsed.ok && parsed.responses['a'] === big).toBe(true);
  });
});
