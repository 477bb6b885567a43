import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatIssue,
  MAX_LISTED_ERRORS,
  validateBenchmarkText,
  type ValidationResult,
} from '../../../../src/core/benchmark/validate.js';
import { appendDocument, serializeDocument, toDocument } from '../../../../src/core/benchmark/convert.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../../fixtures/benchmarks');
const validate = (name: string) => validateBenchmarkText(readFileSync(path.join(FIXTURES, name), 'utf8'));
const errorsOf = (result: ValidationResult) => {
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors.map(formatIssue);
};

/** Each bad file of test/fixtures/benchmarks/bad and every error it must produce, in order. */
const BAD_FILES: Record<string, string[]> = {
  'not-json.json': ['(file): not valid JSON at line 3, column 23 (Expected double-quoted property name)'],
  'truncated.json': ['(file): not valid JSON at column 61 (Unterminated string)'],
  'top-level-number.json': ['(file): expected an object of splits, a list of samples, or JSON Lines; got a number'],
  'empty.json': ['(file): the file is empty'],
  'no-samples.json': ['(file): the file holds no samples'],
  'split-not-list.json': [
    'IDTest: expected a list of samples (a split), got an object',
    '(file): the file holds no samples',
  ],
  'broken-line.jsonl': ['line 2: not valid JSON at column 19 (Expected double-quoted property name)'],
  'wrong-types.json': [
    'IDTest[0].sample_ID: expected a non-empty string or an integer, got a boolean',
    'IDTest[0].user_persona: expected a string (empty when unknown), got a number',
    'IDTest[0].agent_character: expected a non-empty string or a profile object, got a list',
    'IDTest[0].dialogue_context: expected a list of dialogue turns, got a string',
    'IDTest[0].agent_golden_response: expected a non-empty string, got a number',
    'IDTest[0].subset_tag: expected a non-empty string, got null',
  ],
  'missing-fields.json': [
    'IDTest[0].user_persona: missing (expected a string (empty when unknown))',
    'IDTest[0].agent_character: missing (expected a non-empty string or a profile object)',
    'IDTest[0].dialogue_context: missing (expected a list of dialogue turns)',
    'IDTest[0].agent_golden_response: missing (expected a non-empty string)',
  ],
  'empty-strings.json': [
    'IDTest[0].agent_character: expected a non-empty string, got an empty string',
    'IDTest[0].dialogue_context[0].user_query: expected a non-empty string, got an empty string',
    'IDTest[0].agent_golden_response: expected a non-empty string, got an empty string',
  ],
  'ends-with-agent.json': [
    'IDTest[1].dialogue_context[1]: the dialogue ends with an agent_response; it must end with the user_query being answered',
  ],
  'not-alternating.json': [
    'IDTest[0].dialogue_context[1]: expected {"agent_response"} after a user_query, got {"user_query"}',
    'IDTest[0].dialogue_context[2]: expected {"user_query"} after an agent_response, got {"agent_response", "user_query"}',
    'IDTest[0].dialogue_context[3]: expected {"agent_response"} after a user_query, got a string',
  ],
  'duplicate-ids.json': ['OOD1Test[0].sample_ID: duplicate ID "a" (first used at IDTest[0])'],
  'unknown-tag.json': [
    `OOD1Test[0].subset_tag: unknown tag "pirates" (2 samples): declare it under "categories" with its family, label and reference, or use one of the paper's tags (IDTest, german, spanish, chinese, japanese, korean, Literature, Film & Television, Theater, Gaming, TurnLevelComposition, WordLevelComposition)`,
  ],
  'missing-reference.json': [
    'categories.french.reference: "french" is compared with "EnglishBase", which has no samples in this file',
    'OOD1Test[1].subset_tag: "korean" is compared with "IDTest", which has no samples in this file',
  ],
  'reference-not-in-distribution.json': [
    'categories.french.reference: "french" is compared with "chinese", a user shift; the reference must be an in-distribution category',
  ],
  'bad-declaration.json': [
    'categories.weather.family: expected one of "in-distribution", "user", "character", "dialogue"',
    'categories.weather: unknown field "colour" (allowed: family, label, reference, note)',
  ],
  'control-characters.json': ['IDTest[0].agent_golden_response: contains the control character U+0007 at offset 13'],
  'lone-surrogate.json': ['IDTest[0].user_persona: contains a lone UTF-16 surrogate (broken Unicode)'],
  'bad-language.json': ['IDTest[0].language: expected a language code such as "en" or "zh-Hans"'],
};

describe('validateBenchmarkText on the corpus of bad files', () => {
  for (const [name, expected] of Object.entries(BAD_FILES)) {
    it(`refuses ${name} with the path and what was expected`, () => {
      const result = validate(`bad/${name}`);
      expect(result.ok).toBe(false);
      expect(errorsOf(result)).toEqual(expected);
      if (!result.ok) expect(result.errorCount).toBe(expected.length);
    });
  }

  it('covers every file in the corpus', () => {
    expect(readdirSync(path.join(FIXTURES, 'bad')).sort()).toEqual(Object.keys(BAD_FILES).sort());
  });
});

describe('validateBenchmarkText on valid files', () => {
  it('reads the object-of-splits form with declarations, optional fields and extras', () => {
    const result = validate('good/splits.json');
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    expect(result.format).toBe('splits');
    const { categories, samples, meta } = result.benchmark;
    expect(meta.name).toBe('minimal example');
    expect(categories.map((c) => [c.tag, c.family, c.reference, c.sampleCount, c.declared])).toEqual([
      ['IDTest', 'in-distribution', null, 2, false],
      ['french', 'user', 'IDTest', 1, true],
      ['chinese', 'user', 'IDTest', 1, false],
    ]);
    expect(categories[1]!.label).toBe('French-speaking users');
    expect(categories[1]!.note).toBe('translated by hand');
    expect(categories[2]!.label).toBe('Chinese-speaking users');
    expect(categories[0]!.languages).toEqual({ en: 2 });
    const second = samples[1]!;
    expect(second.reasoning).toBe('Core features: explain the knot.');
    expect(second.dialogue).toEqual([
      { role: 'user', text: 'Hi! What did you do today?' },
      { role: 'agent', text: 'I tied a bowline.' },
      { role: 'user', text: 'What is that?' },
    ]);
    expect(samples[3]!.agentCharacter).toEqual({ name: 'Old sailor', age: 70 });
    expect(samples[3]!.split).toBe('OOD1Test');
  });

  it("accepts the format document's minimal example", () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../../../docs/benchmark-format.md'), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(doc)![1]!;
    const result = validateBenchmarkText(example);
    expect(result.ok ? result.benchmark.categories.map((c) => `${c.tag}:${c.family}`) : result.errors).toEqual([
      'IDTest:in-distribution',
      'french:user',
    ]);
  });

  it('reads a flat list (integer IDs become strings) and JSONL', () => {
    const list = validate('good/list.json');
    const lines = validate('good/samples.jsonl');
    expect(list.ok && list.format).toBe('list');
    expect(lines.ok && lines.format).toBe('jsonl');
    if (list.ok) expect(list.benchmark.samples.map((s) => s.id)).toEqual(['1', '2']);
    if (lines.ok) expect(lines.benchmark.categories.map((c) => c.tag)).toEqual(['IDTest', 'korean']);
  });

  it('round-trips through toDocument and serializeDocument without losing fields', () => {
    const text = readFileSync(path.join(FIXTURES, 'good/splits.json'), 'utf8');
    const first = validateBenchmarkText(text);
    if (!first.ok) throw new Error('fixture invalid');
    const again = validateBenchmarkText(serializeDocument(toDocument(first.benchmark)));
    if (!again.ok) throw new Error(again.errors.map(formatIssue).join('\n'));
    expect(again.benchmark).toEqual(first.benchmark);
    // The written file is the original with the default reference made explicit.
    const original = JSON.parse(text);
    original.categories.french.reference = 'IDTest';
    expect(JSON.parse(serializeDocument(toDocument(first.benchmark)))).toEqual(original);
  });

  it('warns about a declared category that no sample uses', () => {
    const result = validateBenchmarkText(
      JSON.stringify({
        categories: { spare: { family: 'user' } },
        IDTest: [JSON.parse(readFileSync(path.join(FIXTURES, 'good/list.json'), 'utf8'))[0]],
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.warnings.map(formatIssue)).toEqual(['categories.spare: declared but no sample has this subset_tag']);
  });
});

describe('tags that are names of Object.prototype', () => {
  it('treats "constructor" as an unknown tag, not as a declared or paper one', () => {
    const sample = JSON.parse(readFileSync(path.join(FIXTURES, 'good/list.json'), 'utf8'))[0];
    const result = validateBenchmarkText(
      JSON.stringify({ IDTest: [sample], X: [{ ...sample, sample_ID: 'z', subset_tag: 'constructor' }] }),
    );
    expect(result.ok ? [] : result.errors.map(formatIssue)[0]).toMatch(
      /^X\[0\]\.subset_tag: unknown tag "constructor"/,
    );
  });
});

describe('appendDocument', () => {
  it('keeps the base meta, merges declarations (the addition wins) and joins same-named splits', () => {
    const s = (id: string) => ({ sample_ID: id }) as never;
    const merged = appendDocument(
      {
        meta: { name: 'base' },
        categories: { a: { family: 'user', label: 'old' } },
        splits: { IDTest: [s('1')], a: [s('2')] },
      },
      {
        meta: { name: 'ignored' },
        categories: { a: { family: 'user', label: 'new' }, b: { family: 'dialogue' } },
        splits: { a: [s('3')], b: [s('4')] },
      },
    );
    expect(merged).toEqual({
      meta: { name: 'base' },
      categories: { a: { family: 'user', label: 'new' }, b: { family: 'dialogue' } },
      splits: { IDTest: [s('1')], a: [s('2'), s('3')], b: [s('4')] },
    });
  });
});

describe('large files', () => {
  const sample = (i: number, tag: string) => ({
    sample_ID: `s${i}`,
    user_persona: 'I like long walks on the beach and I have two dogs.',
    agent_character: 'A cheerful baker from a small town who knows every regular by name.',
    dialogue_context: [
      { user_query: 'Good morning! What do you recommend today? '.repeat(8) },
      { agent_response: 'The sourdough is fresh out of the oven, and the croissants are still warm. '.repeat(8) },
      { user_query: 'Great, I will take two of each. How much is that? '.repeat(4) },
    ],
    agent_golden_response: 'That will be twelve dollars, and I threw in a cookie for your dogs. '.repeat(6),
    subset_tag: tag,
  });
  const build = (n: number, broken?: number) =>
    JSON.stringify({
      IDTest: Array.from({ length: n }, (_, i) => {
        const s = sample(i, 'IDTest');
        return i === broken ? { ...s, dialogue_context: s.dialogue_context.slice(0, 2) } : s;
      }),
    });

  it('accepts a valid 50 MB file whole and refuses one bad sample deep inside it whole', () => {
    const n = 28_000;
    const text = build(n);
    expect(text.length).toBeGreaterThan(50_000_000);
    const ok = validateBenchmarkText(text);
    expect(ok.ok && ok.benchmark.samples.length).toBe(n);
    const bad = validateBenchmarkText(build(n, n - 7));
    expect(bad.ok).toBe(false);
    expect(errorsOf(bad)).toEqual([
      `IDTest[${n - 7}].dialogue_context[1]: the dialogue ends with an agent_response; it must end with the user_query being answered`,
    ]);
  }, 120_000);

  it('lists at most MAX_LISTED_ERRORS errors but counts them all', () => {
    const samples = Array.from({ length: MAX_LISTED_ERRORS + 20 }, (_, i) => ({ sample_ID: `x${i}` }));
    const result = validateBenchmarkText(JSON.stringify({ IDTest: samples }));
    if (result.ok) throw new Error('expected refusal');
    expect(result.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(result.errorCount).toBe((MAX_LISTED_ERRORS + 20) * 5);
  });
});
