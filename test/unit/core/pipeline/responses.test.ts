import { describe, expect, it } from 'vitest';
import type { Benchmark, BenchmarkCategory, BenchmarkSample } from '../../../../src/core/benchmark/format.js';
import {
  MAX_LISTED_RESPONSE_ERRORS,
  parseResponsesText,
  type ResponsesParse,
} from '../../../../src/core/pipeline/responses.js';
import { selectedSamples } from '../../../../src/core/pipeline/run.js';

const IDS = ['a', 'b', '7'];

function accepted(result: ResponsesParse): Readonly<Record<string, string>> {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.responses;
}

/** The errors of a refused parse, as `path: message` lines. */
function refused(result: ResponsesParse): string[] {
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.responses)}`);
  return result.errors.map((e) => `${e.path}: ${e.message}`);
}

/** Valid answers to every sample, so that only the case's own problem is reported. */
const OTHERS = [
  { sample_ID: 'a', response: 'x' },
  { sample_ID: 'b', response: 'y' },
  { sample_ID: 7, response: 'z' },
];

const lines = (...values: unknown[]) => values.map((v) => JSON.stringify(v)).join('\n');

describe('parseResponsesText accepts', () => {
  it('an object of responses by sample ID, empty responses and \\n \\t \\r included', () => {
    const text = JSON.stringify({ a: 'Hello.\n\tHow are you?\r\n', b: '', 7: '你好 🙂' });
    expect(accepted(parseResponsesText(text, IDS))).toEqual({ a: 'Hello.\n\tHow are you?\r\n', b: '', 7: '你好 🙂' });
  });

  it('a list of {sample_ID, response} with integer IDs compared as strings and extra fields kept out', () => {
    const text = JSON.stringify([
      { sample_ID: 'a', response: 'x', model: 'gpt' },
      { sample_ID: 7, response: 'z' },
      { sample_ID: 'b', response: 'y' },
    ]);
    const responses = accepted(parseResponsesText(text, IDS));
    expect(responses).toEqual({ a: 'x', 7: 'z', b: 'y' });
    expect(Object.keys(responses).sort()).toEqual(['7', 'a', 'b']);
  });

  it('JSON Lines with a byte-order mark, CRLF and blank lines', () => {
    const text =
      '\uFEFF' +
      [
        JSON.stringify({ sample_ID: 'a', response: 'x' }),
        '',
        JSON.stringify({ sample_ID: 7, response: 'z' }),
        JSON.stringify({ sample_ID: 'b', response: '' }),
        '',
      ].join('\r\n');
    expect(accepted(parseResponsesText(text, IDS))).toEqual({ a: 'x', 7: 'z', b: '' });
  });

  it('a single {sample_ID, response} object (JSON Lines of one line)', () => {
    expect(accepted(parseResponsesText(lines({ sample_ID: 'a', response: 'x' }), ['a']))).toEqual({ a: 'x' });
  });

  it('answers for known samples the run leaves out, without requiring them', () => {
    const known = { knownIds: ['a', 'b', '7', 'c'] };
    expect(accepted(parseResponsesText(JSON.stringify({ a: 'x', b: 'y', 7: 'z', c: 'w' }), IDS, known))).toEqual({
      a: 'x',
      b: 'y',
      7: 'z',
      c: 'w',
    });
    expect(accepted(parseResponsesText(JSON.stringify({ a: 'x' }), ['a'], known))).toEqual({ a: 'x' });
  });

  it('"__proto__", "constructor" and "prototype" as plain own keys when the benchmark has such IDs', () => {
    const ids = ['__proto__', 'constructor', 'prototype'];
    for (const text of [
      '{"__proto__": "p", "constructor": "c", "prototype": "q"}',
      lines(
        { sample_ID: '__proto__', response: 'p' },
        { sample_ID: 'constructor', response: 'c' },
        { sample_ID: 'prototype', response: 'q' },
      ),
    ]) {
      const responses = accepted(parseResponsesText(text, ids));
      expect(Object.getPrototypeOf(responses)).toBeNull();
      expect(Object.keys(responses)).toEqual(ids);
      expect(Object.hasOwn(responses, '__proto__')).toBe(true);
      expect(responses['__proto__']).toBe('p');
      expect(responses['constructor']).toBe('c');
      expect(JSON.parse(JSON.stringify(responses))).toEqual(
        JSON.parse('{"__proto__":"p","constructor":"c","prototype":"q"}'),
      );
    }
    expect(({} as Record<string, unknown>)['p']).toBeUndefined();
  });
});

describe('parseResponsesText refuses, with the path and what was expected', () => {
  const cases: [string, string, string[]][] = [
    ['not JSON', '{"a": "x",', ['(file): not valid JSON']],
    ['an empty file', ' \n', ['(file): the file is empty']],
    [
      'a string',
      '"x"',
      [
        '(file): expected an object of responses by sample ID, a list of {"sample_ID", "response"} objects, or JSON Lines; got a string',
      ],
    ],
    [
      'null',
      'null',
      [
        '(file): expected an object of responses by sample ID, a list of {"sample_ID", "response"} objects, or JSON Lines; got null',
      ],
    ],
    ['a non-string response', JSON.stringify({ a: 'x', b: 3, 7: 'z' }), ['["b"]: expected a string, got a number']],
    ['a null response', JSON.stringify({ a: 'x', b: null, 7: 'z' }), ['["b"]: expected a string, got null']],
    [
      'a response that is an object',
      JSON.stringify({ a: { text: '}' }, b: 'y', 7: 'z' }),
      ['["a"]: expected a string, got an object'],
    ],
    [
      'a repeated key, which JSON.parse would drop',
      '{"a": "x", "b": "y", "a": "x2", "7": "z"}',
      ['["a"]: duplicate ID "a" (the object names it 2 times'],
    ],
    [
      'a list entry that is not an object',
      JSON.stringify([{ sample_ID: 'a', response: 'x' }, 'y', { sample_ID: 7, response: 'z' }]),
      [
        '[1]: expected a {"sample_ID", "response"} object, got a string',
        '(file): missing responses for 1 of the 3 samples to answer: "b"',
      ],
    ],
    [
      'a boolean sample_ID',
      JSON.stringify([{ sample_ID: true, response: 'x' }, ...OTHERS]),
      ['[0].sample_ID: expected a non-empty string or an integer, got a boolean'],
    ],
    [
      'a fractional sample_ID',
      JSON.stringify([{ sample_ID: 1.5, response: 'x' }, ...OTHERS]),
      ['[0].sample_ID: expected a non-empty string or an integer, got a number'],
    ],
    [
      'an empty sample_ID',
      JSON.stringify([{ sample_ID: ' ', response: 'x' }, ...OTHERS]),
      ['[0].sample_ID: expected a non-empty string, got an empty string'],
    ],
    [
      'a missing response field',
      JSON.stringify([
        { sample_ID: 'a', responce: 'x' },
        { sample_ID: 'b', response: 'y' },
        { sample_ID: 7, response: 'z' },
      ]),
      ['[0].response: missing (expected a string)'],
    ],
    [
      'a non-string response in a list',
      JSON.stringify([
        { sample_ID: 'a', response: ['x'] },
        { sample_ID: 'b', response: 'y' },
        { sample_ID: 7, response: 'z' },
      ]),
      ['[0].response: expected a string, got a list'],
    ],
    [
      '7 and "7" in one list',
      JSON.stringify([
        { sample_ID: 7, response: 'z' },
        { sample_ID: 'a', response: 'x' },
        { sample_ID: 'b', response: 'y' },
        { sample_ID: '7', response: 'z2' },
      ]),
      ['[3].sample_ID: duplicate ID "7" (first used at [0])'],
    ],
    [
      'a repeated ID in JSON Lines',
      lines(
        { sample_ID: 'a', response: 'x' },
        { sample_ID: 'b', response: 'y' },
        { sample_ID: 7, response: 'z' },
        { sample_ID: 'a', response: 'x' },
      ),
      ['line 4, sample_ID: duplicate ID "a" (first used at line 1)'],
    ],
    [
      'a JSON Lines line that is not JSON',
      [
        lines({ sample_ID: 'a', response: 'x' }, { sample_ID: 'b', response: 'y' }),
        '{"sample_ID": 7, "response": "z"',
      ].join('\n'),
      ['line 3: not valid JSON', '(file): missing responses for 1 of the 3 samples to answer: "7"'],
    ],
    [
      'a NUL character',
      JSON.stringify({ a: 'x\u0000', b: 'y', 7: 'z' }),
      ['["a"]: contains the control character U+0000 at offset 1'],
    ],
    [
      'an escape character in JSON Lines',
      lines(
        { sample_ID: 'a', response: 'x' },
        { sample_ID: 'b', response: '\u001b[31mred' },
        { sample_ID: 7, response: 'z' },
      ),
      ['line 2, response: contains the control character U+001B at offset 0'],
    ],
    [
      'DEL',
      JSON.stringify({ a: 'x', b: 'y\u007f', 7: 'z' }),
      ['["b"]: contains the control character U+007F at offset 1'],
    ],
    ['a lone surrogate', '{"a": "x", "b": "\\ud800", "7": "z"}', ['["b"]: contains a lone UTF-16 surrogate']],
    [
      'a missing sample',
      JSON.stringify({ a: 'x', 7: 'z' }),
      ['(file): missing responses for 1 of the 3 samples to answer: "b"'],
    ],
    [
      'an ID not in the benchmark',
      JSON.stringify({ a: 'x', b: 'y', 7: 'z', zz: 'w' }),
      ['["zz"]: unknown sample ID "zz" (expected one of the benchmark\'s 3 sample IDs, e.g. "a")'],
    ],
    [
      'an unknown ID in a list',
      JSON.stringify([
        { sample_ID: 'a', response: 'x' },
        { sample_ID: 'b', response: 'y' },
        { sample_ID: 7, response: 'z' },
        { sample_ID: 8, response: 'w' },
      ]),
      ['[3].sample_ID: unknown sample ID "8"'],
    ],
    [
      '"__proto__" and "constructor" that the benchmark does not have',
      '{"a": "x", "b": "y", "7": "z", "__proto__": {"polluted": true}, "constructor": "c"}',
      ['["__proto__"]: expected a string, got an object', '["constructor"]: unknown sample ID "constructor"'],
    ],
  ];

  it.each(cases)('%s', (_, text, expectedErrors) => {
    const errors = refused(parseResponsesText(text, IDS));
    expect(errors).toHaveLength(expectedErrors.length);
    expectedErrors.forEach((fragment, k) => expect(errors[k]).toContain(fragment));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('counts the missing samples and names the first five', () => {
    const ids = Array.from({ length: 9 }, (_, k) => `s${k}`);
    expect(refused(parseResponsesText('{"s0": "x"}', ids))).toEqual([
      '(file): missing responses for 8 of the 9 samples to answer: "s1", "s2", "s3", "s4", "s5", ...',
    ]);
    expect(refused(parseResponsesText('[]', ids))[0]).toContain('missing responses for 9 of the 9 samples');
  });

  it('does not also count a sample as missing when its entry was refused', () => {
    expect(refused(parseResponsesText(JSON.stringify({ a: 1, b: 'y', 7: 'z' }), IDS))).toEqual([
      '["a"]: expected a string, got a number',
    ]);
  });

  it('refuses an ID the run leaves out only when it is not in the benchmark either', () => {
    const text = JSON.stringify({ a: 'x', c: 'w', d: 'v' });
    expect(refused(parseResponsesText(text, ['a'], { knownIds: ['a', 'b', 'c'] }))).toEqual([
      '["d"]: unknown sample ID "d" (expected one of the benchmark\'s 3 sample IDs, e.g. "a")',
    ]);
  });

  it('lists the first problems, then how many more, and always the missing samples', () => {
    const text = JSON.stringify(Object.fromEntries(Array.from({ length: 300 }, (_, k) => [`x${k}`, 'r'])));
    const errors = refused(parseResponsesText(text, IDS));
    expect(errors).toHaveLength(MAX_LISTED_RESPONSE_ERRORS);
    expect(errors[0]).toContain('["x0"]: unknown sample ID "x0"');
    expect(errors.at(-2)).toBe(`(file): and ${300 - (MAX_LISTED_RESPONSE_ERRORS - 2)} more problems`);
    expect(errors.at(-1)).toContain('(file): missing responses for 3 of the 3 samples');
  });
});

describe('selectedSamples', () => {
  const sample = (id: string, category: string): BenchmarkSample => ({
    id,
    category,
    split: null,
    userPersona: '',
    agentCharacter: 'c',
    dialogue: [{ role: 'user', text: 'q' }],
    goldenResponse: 'g',
    extra: {},
  });
  const category = (tag: string, family: BenchmarkCategory['family']): BenchmarkCategory => ({
    tag,
    family,
    label: tag,
    reference: family === 'in-distribution' ? null : 'IDTest',
    sampleCount: 0,
    languages: {},
    declared: false,
  });
  const benchmark: Benchmark = {
    meta: {},
    categories: [category('IDTest', 'in-distribution'), category('german', 'user')],
    samples: [
      sample('g1', 'german'),
      sample('i1', 'IDTest'),
      sample('g2', 'german'),
      sample('i2', 'IDTest'),
      sample('i3', 'IDTest'),
    ],
  };

  it('takes the first n of each category in file order, category by category', () => {
    expect(selectedSamples(benchmark, 2).map((s) => s.id)).toEqual(['i1', 'i2', 'g1', 'g2']);
    expect(selectedSamples(benchmark, 1).map((s) => s.id)).toEqual(['i1', 'g1']);
    expect(selectedSamples(benchmark).map((s) => s.id)).toEqual(['i1', 'i2', 'i3', 'g1', 'g2']);
  });
});
