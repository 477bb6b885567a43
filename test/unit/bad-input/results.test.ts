/**
 * Results files from the bad-input corpus (test/fixtures/bad/results/), read as "View a results
 * file" reads them: bytes decoded strictly as UTF-8, then `parseResultsText`. Each is refused with
 * its problems at their paths, or accepted exactly as written (HTML in policy names, categories
 * and responses included); none throws or reaches Object.prototype.
 */
import { describe, expect, it } from 'vitest';
import { decodeUtf8, parseResultsText, type ResultsParse } from '../../../src/core/index.js';
import {
  corpusBytes,
  corpusFiles,
  corpusJson,
  expectRefused,
  expectNoPollution,
  expectPlainObjects,
  IMG,
  longText,
  SCRIPT,
  TEN_MIB,
  type Refusal,
} from './corpus.js';

type Expectation = { readonly refused: Refusal } | 'accepted';

const EXPECTED: Record<string, Expectation> = {
  'good.json': 'accepted',
  'not-json.json': { refused: [['(file)', /^not valid JSON \(Unexpected token/]] },
  'truncated.json': { refused: [['(file)', /^not valid JSON at line \d+, column \d+|the end of the text/]] },
  'empty.json': { refused: [['(file)', 'the file is empty']] },
  'wrong-types.json': {
    refused: [
      ['rows', 'expected a list of rows, got a string'],
      ['pairs[0].meanLogProb', 'expected a number, got a string'],
    ],
  },
  'missing-fields.json': { refused: [['manifest', "missing (expected the run's manifest object)"]] },
  'extra-fields.json': 'accepted',
  'edited-mi.json': { refused: [['rows[0].miModel', "1.5 does not follow from the file's pairs (they give 1)"]] },
  'wrong-format-version.json': { refused: [['manifest.formatVersion', 'expected format version 1, got a number']] },
  'proto-keys.json': {
    refused: [['manifest.settings.__proto__', 'the field name "__proto__" is not allowed (JavaScript reserves it)']],
  },
  'invalid-utf8.json': { refused: [['(file)', /^the file is not UTF-8 text: byte 0xE1 at line \d+/]] },
  'benchmark-instead.json': {
    refused: [
      ['manifest', "missing (expected the run's manifest object)"],
      ['rows', 'missing (expected a list of rows)'],
      ['pairs', 'missing (expected a list of pairs)'],
    ],
  },
  'html-injection.json': 'accepted',
};

/** What the run panel does with a results file's bytes. */
function readResults(bytes: Uint8Array): ResultsParse {
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) return { ok: false, errors: [{ path: '(file)', message: decoded.message }] };
  return parseResultsText(decoded.text);
}

describe('results files from the bad-input corpus', () => {
  it('has an expectation for every file, and every expectation has its file', () => {
    expect(corpusFiles('results')).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expectation] of Object.entries(EXPECTED)) {
    it(file, () => {
      const parsed = readResults(corpusBytes(`results/${file}`));
      expectNoPollution();
      if (expectation !== 'accepted') {
        expectRefused(parsed, expectation.refused);
        return;
      }
      expect(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors)).toBe(true);
      if (!parsed.ok) return;
      // Shown as written: every field, unknown ones and HTML-looking text included.
      expect(parsed.file).toEqual(corpusJson(`results/${file}`));
      expectPlainObjects(parsed.file);
    });
  }

  it('keeps HTML in policy names, categories and responses as text', () => {
    const parsed = readResults(corpusBytes('results/html-injection.json'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.file.rows[0]!.policy).toBe(IMG);
    expect(parsed.file.rows[0]!.category).toBe(SCRIPT);
    expect(parsed.file.responses[IMG]).toEqual({ a: SCRIPT, b: IMG });
  });
});

describe('large results inputs (generated)', () => {
  it('accepts a 10 MiB response and keeps it whole', () => {
    const file = corpusJson<{ responses: Record<string, Record<string, string>> }>('results/good.json');
    file.responses['p']!['a'] = longText(TEN_MIB);
    const parsed = parseResultsText(JSON.stringify(file));
    expect(parsed.ok && parsed.file.responses['p']!['a']!.length).toBe(TEN_MIB);
  });

  it('refuses 100,000 bad pairs promptly, listing the first 100', () => {
    const file = corpusJson<{ pairs: unknown[] }>('results/good.json');
    file.pairs = Array.from({ length: 100_000 }, (_, i) => ({ policy: 'p', category: 'IDTest', i, j: 'x' }));
    const started = performance.now();
    const parsed = parseResultsText(JSON.stringify(file));
    expect((performance.now() - started) / 1000).toBeLessThan(15);
    expect(!parsed.ok && parsed.errors.length).toBe(100);
  });
});
