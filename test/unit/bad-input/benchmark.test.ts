/**
 * Benchmark files from the bad-input corpus (test/fixtures/bad/benchmark/), read as the app reads
 * them: the benchmark worker's service (strict UTF-8, size limit, then the core's validator).
 * Each is refused with its problems at their JSON paths, or, when it is valid but hostile (HTML,
 * bidirectional text, keys named like Object.prototype's members), accepted with every text kept
 * exactly; none throws, and none reaches Object.prototype. Large inputs are generated here.
 */
import { describe, expect, it } from 'vitest';
import {
  appendDocument,
  serializeDocument,
  toDocument,
  toPaperSample,
  validateBenchmarkText,
  type Benchmark,
  type PaperSample,
} from '../../../src/core/index.js';
import type { FileValidation } from '../../../src/protocol/benchmark-service.js';
import { createBenchmarkService } from '../../../workers/benchmark/service.js';
import {
  corpusBytes,
  corpusFiles,
  expectIssue,
  expectRefused,
  expectNoPollution,
  expectPlainObjects,
  IMG,
  longText,
  SCRIPT,
  TEN_MIB,
  type Refusal,
} from './corpus.js';

type Expectation = { readonly refused: Refusal } | { readonly accepted: (benchmark: Benchmark) => void };

const PROTO = 'the field name "__proto__" is not allowed (JavaScript reserves it); rename the field';
const NOT_UTF8 = /^the file is not UTF-8 text: byte 0x[0-9A-F]{2} at line \d+ \(offset [\d,]+\) does not begin/;

/** What each corpus file must give; a file without an entry fails the first test. */
const EXPECTED: Record<string, Expectation> = {
  'not-json.json': { refused: [['(file)', /^not valid JSON \(Unexpected token 'I'/]] },
  'truncated.json': {
    refused: [['(file)', /^not valid JSON at line 20, the end of the text \(.*was the file cut short\?\)$/]],
  },
  'empty.json': { refused: [['(file)', 'the file is empty']] },
  'whitespace-only.json': { refused: [['(file)', 'the file is empty']] },
  'top-level-null.json': {
    refused: [['(file)', 'expected an object of splits, a list of samples, or JSON Lines; got null']],
  },
  'top-level-string.json': { refused: [['(file)', /; got a string$/]] },
  'wrong-types.json': {
    refused: [
      ['IDTest[0].sample_ID', 'expected a non-empty string or an integer, got a boolean'],
      ['IDTest[0].user_persona', 'expected a string (empty when unknown), got a number'],
      ['IDTest[0].agent_character', 'expected a non-empty string or a profile object, got a list'],
      ['IDTest[0].dialogue_context', 'expected a list of dialogue turns, got a string'],
      ['IDTest[0].agent_golden_response', 'expected a non-empty string, got a number'],
      ['IDTest[0].subset_tag', 'expected a non-empty string, got null'],
      ['IDTest[0].language', /^expected a language code/],
      ['IDTest[0].r', 'expected a string, got a boolean'],
    ],
  },
  'split-not-list.json': { refused: [['IDTest', 'expected a list of samples (a split), got an object']] },
  'missing-fields.json': {
    refused: [
      ['[0].user_persona', 'missing (expected a string (empty when unknown))'],
      ['[0].agent_character', 'missing (expected a non-empty string or a profile object)'],
      ['[0].dialogue_context', 'missing (expected a list of dialogue turns)'],
      ['[0].agent_golden_response', 'missing (expected a non-empty string)'],
      ['[0].subset_tag', 'missing (expected a non-empty string)'],
    ],
  },
  'extra-fields-declaration.json': {
    refused: [['categories.french', 'unknown field "colour" (allowed: family, label, reference, note)']],
  },
  'extra-fields-sample.json': {
    accepted: (b) =>
      expect(b.samples[0]!.extra).toEqual({
        rating: 5,
        source: { corpus: 'hand-written', year: 2025 },
        tags: ['a', 'b'],
      }),
  },
  'empty-strings.json': {
    refused: [
      ['IDTest[0].agent_golden_response', 'expected a non-empty string, got an empty string'],
      ['IDTest[0].subset_tag', 'expected a non-empty string, got an empty string'],
      ['IDTest[0].dialogue_context[0].user_query', 'expected a non-empty string, got an empty string'],
    ],
  },
  'control-characters.json': {
    refused: [
      ['IDTest[0].user_persona', 'contains the control character U+0007 at offset 9'],
      ['IDTest[0].agent_golden_response', 'contains the control character U+0000 at offset 6'],
    ],
  },
  'control-character-in-field-name.json': {
    refused: [['IDTest[0]["note\\u0001"]', 'the field name contains the control character U+0001 at offset 4']],
  },
  'bidi-in-id.json': {
    refused: [
      [
        'IDTest[0].sample_ID',
        'contains the bidirectional control U+202E at offset 7, which makes a name display as another; remove it',
      ],
    ],
  },
  'bidi-in-split-name.json': {
    // The path shows the control as an escape: quoted raw, it would turn the rest of the line around.
    refused: [['["IDTest\\u202E"]', 'the split name contains the bidirectional control U+202E at offset 6']],
  },
  'bidi-in-text.json': {
    accepted: (b) => {
      expect(b.samples[0]!.userPersona).toBe('\u202Bאני גר בליסבון\u202C (I live in Lisbon).');
      expect(b.samples[0]!.goldenResponse).toContain('\u202Etols ton seod taht\u202C');
    },
  },
  'lone-surrogate.json': {
    refused: [['IDTest[0].agent_golden_response', 'contains a lone UTF-16 surrogate (broken Unicode)']],
  },
  'invalid-utf8-latin1.json': {
    refused: [
      ['(file)', NOT_UTF8],
      ['(file)', /byte 0xE9 at line 12/],
    ],
  },
  'invalid-utf8-stray-byte.json': { refused: [['(file)', /byte 0xFF at line 6/]] },
  'utf16.json': { refused: [['(file)', /byte 0xFF at line 1 \(offset 0\)/]] },
  'html-injection.json': {
    accepted: (b) => {
      const [first, profile] = b.samples;
      expect(first!.id).toBe(IMG);
      expect(first!.userPersona).toBe(`${SCRIPT} I live in Lisbon.`);
      expect(first!.dialogue.map((t) => t.text)).toEqual([IMG, SCRIPT, `<b>bold?</b> ${IMG}`]);
      expect(first!.goldenResponse).toBe(SCRIPT + IMG);
      expect(first!.reasoning).toBe(IMG);
      expect(first!.extra).toEqual({ comment: SCRIPT });
      expect(profile!.agentCharacter).toEqual({ name: IMG, profile: SCRIPT, [IMG]: SCRIPT });
      expect(b.meta).toEqual({ name: IMG, description: SCRIPT });
      expect(b.categories.find((c) => c.tag === SCRIPT)).toMatchObject({ label: IMG, note: SCRIPT, family: 'user' });
    },
  },
  'proto-in-sample.json': { refused: [['IDTest[0].__proto__', PROTO]] },
  'proto-in-character.json': { refused: [['IDTest[0].agent_character.__proto__', PROTO]] },
  'proto-split.json': { refused: [['__proto__', PROTO]] },
  'proto-categories.json': { refused: [['categories.__proto__', PROTO]] },
  'proto-meta.json': { refused: [['meta.__proto__', PROTO]] },
  'proto-jsonl.jsonl': { refused: [['line 2, __proto__', PROTO]] },
  'constructor-keys.json': {
    accepted: (b) => {
      expect(b.samples.map((s) => [s.id, s.split])).toEqual([
        ['constructor', 'constructor'],
        ['toString', 'constructor'],
        ['prototype', 'hasOwnProperty'],
        ['valueOf', 'hasOwnProperty'],
      ]);
      expect(b.samples[0]!.extra).toEqual({ constructor: { prototype: { polluted: true } }, prototype: 'kept' });
      expect(b.categories.find((c) => c.tag === 'prototype')).toMatchObject({ family: 'user', label: 'constructor' });
      // Converting back to a file and adding to it (the app's "add to the loaded benchmark") keeps every split.
      const again = validateBenchmarkText(serializeDocument(toDocument(b)));
      expect(again.ok && again.benchmark).toEqual(b);
      const doubled = appendDocument(toDocument(b), toDocument(b));
      expect(Object.keys(doubled.splits)).toEqual(['constructor', 'hasOwnProperty']);
      expect(doubled.splits['constructor']).toHaveLength(4);
    },
  },
  'duplicate-ids.json': { refused: [['IDTest[1].sample_ID', 'duplicate ID "id-1" (first used at IDTest[0])']] },
  'broken-line.jsonl': { refused: [['line 2', /^not valid JSON at column \d+/]] },
};

const service = createBenchmarkService();
const validate = (bytes: Uint8Array<ArrayBuffer> | string): Promise<FileValidation> =>
  service.validateFile(new Blob([bytes]));

/** The samples of a file as it holds them (object of splits, list or JSON Lines), in order. */
function rawSamples(text: string): PaperSample[] {
  try {
    const value = JSON.parse(text) as Record<string, unknown> | PaperSample[];
    if (Array.isArray(value)) return value;
    return Object.entries(value)
      .filter(([key]) => key !== 'meta' && key !== 'categories')
      .flatMap(([, split]) => split as PaperSample[]);
  } catch {
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as PaperSample);
  }
}

describe('benchmark files from the bad-input corpus', () => {
  it('has an expectation for every file, and every expectation has its file', () => {
    expect(corpusFiles('benchmark')).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expectation] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const bytes = corpusBytes(`benchmark/${file}`);
      const result = await validate(bytes);
      expectNoPollution();
      expectPlainObjects(result);
      if ('refused' in expectation) {
        expectRefused(result, expectation.refused);
        return;
      }
      expect(result.ok, JSON.stringify(!result.ok && result.errors)).toBe(true);
      if (!result.ok) return;
      // Every field of every sample, as the file has it: nothing escaped, trimmed or dropped.
      const raw = rawSamples(new TextDecoder().decode(bytes));
      expect(result.benchmark.samples.map(toPaperSample)).toEqual(raw);
      expectation.accepted(result.benchmark);
    });
  }

  it('gives the same verdict from the core alone (the command line) for every UTF-8 file', () => {
    for (const file of Object.keys(EXPECTED)) {
      const bytes = corpusBytes(`benchmark/${file}`);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        continue;
      }
      const result = validateBenchmarkText(text);
      expect(result.ok, file).toBe('accepted' in EXPECTED[file]!);
    }
    expectNoPollution();
  });
});

describe('large benchmark inputs (generated)', () => {
  const sample = (i: number, fields: Record<string, unknown> = {}) => ({
    sample_ID: `s${i}`,
    user_persona: 'I live in Lisbon.',
    agent_character: 'A retired sailor.',
    dialogue_context: [{ user_query: 'What is a bowline?' }],
    agent_golden_response: 'A loop knot.',
    subset_tag: 'IDTest',
    ...fields,
  });

  it('accepts 100,000 samples within seconds', async () => {
    const text = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => sample(i)));
    const started = performance.now();
    const result = await validate(text);
    const seconds = (performance.now() - started) / 1000;
    expect(result.ok && result.benchmark.samples.length).toBe(100_000);
    expect(seconds).toBeLessThan(15);
  });

  it('refuses 100,000 bad samples listing the first 500 and counting them all', async () => {
    const text = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => sample(i, { user_persona: i })));
    const result = await validate(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errorCount).toBe(100_000);
    expect(result.errors).toHaveLength(500);
    expectIssue(result.errors, '[499].user_persona', 'expected a string (empty when unknown), got a number');
  });

  it('keeps 10 MiB strings in every text field, character for character', async () => {
    const big = (c: string) => longText(TEN_MIB, c);
    const text = JSON.stringify([
      sample(0, {
        user_persona: big('p'),
        agent_character: big('c'),
        dialogue_context: [{ user_query: big('q') }],
        agent_golden_response: big('g'),
        r: big('r'),
      }),
    ]);
    const started = performance.now();
    const result = await validate(text);
    expect((performance.now() - started) / 1000).toBeLessThan(15);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [s] = result.benchmark.samples;
    expect(s!.userPersona).toBe(big('p'));
    expect(s!.dialogue[0]!.text).toBe(big('q'));
    expect(s!.goldenResponse.length).toBe(TEN_MIB);
  });

  it('finds a control character at the end of a 10 MiB string and says where', async () => {
    const text = JSON.stringify([sample(0, { agent_golden_response: longText(TEN_MIB) + '\u0001' })]);
    const result = await validate(text);
    expect(!result.ok && result.errors).toEqual([
      { path: '[0].agent_golden_response', message: 'contains the control character U+0001 at offset 10485760' },
    ]);
  });

  it('refuses a file over the size limit from its size, before reading it', async () => {
    const small = createBenchmarkService(1024);
    const result = await small.validateFile(new Blob([longText(2048)]));
    expect(!result.ok && result.errors).toEqual([
      {
        path: '(file)',
        message: 'the file is 2.0 KiB (2,048 bytes); at most 1.0 KiB (1,024 bytes) are accepted',
      },
    ]);
  });
});
