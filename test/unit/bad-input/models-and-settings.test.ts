/**
 * Model folders, Hub ids and evaluation settings from the bad-input corpus
 * (test/fixtures/bad/model-folder/folders.json, hub-ids.json, settings.json): each is refused with
 * a message that names what is wrong, or (a Windows path, files named like Object.prototype's
 * members) planned as a model. A folder on disk without its tokenizer is refused by the Node
 * reader too. Loading a corrupt ONNX graph is an integration test (bad-model-folder.test.ts).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkEvaluationSettings,
  folderName,
  HIDDEN_CHARACTER,
  planModelFolder,
  validateRef,
  type EvaluationSettings,
  type FolderFileInput,
} from '../../../src/core/index.js';
import { BUNDLED_MODELS_DIR, readModelFolder } from '../../../node/model-host.js';
import { corpusJson, expectIssue, expectNoPollution, IMG } from './corpus.js';

describe('model folders from the bad-input corpus', () => {
  const folders =
    corpusJson<{ name: string; files: FolderFileInput[]; expect: string | null }[]>('model-folder/folders.json');

  for (const folder of folders) {
    it(folder.name, () => {
      if (folder.expect === null) {
        const plan = planModelFolder(folder.files);
        expect(plan.root).toBe('m');
        expect([...plan.keep.keys()].sort()).toEqual([
          'config.json',
          'onnx/model.onnx',
          'tokenizer.json',
          'tokenizer_config.json',
        ]);
        expect(plan.dtypes).toEqual(['fp32']);
        if (folder.name === 'prototype-named-files') expect(plan.skipped).toEqual(['__proto__', 'constructor.json']);
      } else {
        expect(() => planModelFolder(folder.files)).toThrow(
          expect.objectContaining({ name: 'ModelFolderError', message: expect.stringContaining(folder.expect) }),
        );
      }
      expectNoPollution();
    });
  }

  it('names a stored folder safely, whatever the picked folder was called', () => {
    expect(folderName(IMG)).toBe('img-src-x-onerror-window.__pwned-1');
    expect(folderName('__proto__')).toBe('proto__');
    expect(folderName('../../etc')).toBe('etc');
    expect(() => folderName('\u202E\u0000')).toThrow(/cannot name a model: use letters or digits/);
  });

  describe('on disk, read by the command line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-bad-folder-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses a folder without its tokenizer, naming the file', async () => {
      const folder = path.join(dir, 'no-tokenizer');
      cpSync(path.join(BUNDLED_MODELS_DIR, 'rolescope-tiny-en'), folder, {
        recursive: true,
        filter: (source) => !source.endsWith('tokenizer.json'),
      });
      await expect(readModelFolder(folder)).rejects.toMatchObject({
        name: 'ModelFolderError',
        message: expect.stringContaining('tokenizer.json is missing'),
      });
    });
  });
});

describe('Hub ids from the bad-input corpus', () => {
  const ids = corpusJson<{ id: string; expect: string }[]>('hub-ids.json');

  for (const { id, expect: message } of ids) {
    it(JSON.stringify(id).slice(0, 60), () => {
      let thrown: unknown;
      try {
        validateRef({ source: 'hub', id });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ name: 'InvalidRequestError', message: expect.stringContaining(message) });
      const text = (thrown as Error).message;
      expect(text).toMatch(/is not a Hub model id: .* \(expected "owner\/name"/);
      // The message quotes the id with control and bidirectional characters escaped, and cut short.
      expect(text).not.toMatch(HIDDEN_CHARACTER);
      expect(text.length).toBeLessThan(400);
    });
  }

  it('accepts the ids it should', () => {
    for (const id of ['HuggingFaceTB/SmolLM2-135M-Instruct', 'onnx-community/Qwen2.5-0.5B-Instruct', 'a/b'])
      expect(() => validateRef({ source: 'hub', id })).not.toThrow();
  });
});

describe('evaluation settings from the bad-input corpus', () => {
  const good: EvaluationSettings = {
    estimatorKind: 'reference',
    maxPairs: 1000,
    seed: 42,
    bootstrapReplicates: 1000,
    reasoning: 'none',
    estimatorTemplate: 'rp-v1',
    limitPerCategory: 20,
    bound: { encoder: 'input-embeddings:rolescope-tiny-multi', hHatOverride: 1.5 },
  };
  const cases =
    corpusJson<{ name: string; change: Record<string, unknown>; path: string; expect: string }[]>('settings.json');

  it('accepts the defaults and the demo settings', () => {
    expect(checkEvaluationSettings(good)).toEqual([]);
    expect(
      checkEvaluationSettings({
        maxPairs: 12,
        seed: 42,
        bootstrapReplicates: 200,
        reasoning: 'none',
        estimatorTemplate: 'rp-v1',
      }),
    ).toEqual([]);
  });

  for (const { name, change, path, expect: message } of cases) {
    it(name, () => {
      // JSON.parse made any "__proto__" key an own key; a spread copies it as one.
      expectIssue(checkEvaluationSettings({ ...good, ...change }), path, message);
      expectNoPollution();
    });
  }

  // JSON has no NaN or Infinity: what an emptied or overflowing number field gives.
  it.each([
    ['maxPairs', Number.NaN, 'expected mismatched pairs per category: a whole number, got NaN'],
    ['bootstrapReplicates', Number.POSITIVE_INFINITY, 'expected bootstrap replicates: a whole number, got Infinity'],
    ['seed', Number.NEGATIVE_INFINITY, 'expected a seed: a whole number, got -Infinity'],
  ] as const)('%s = %s', (field, value, message) => {
    expectIssue(checkEvaluationSettings({ ...good, [field]: value }), field, message);
  });

  it('refuses what is not settings at all', () => {
    for (const value of [null, 'maxPairs=10', 42, []])
      expectIssue(checkEvaluationSettings(value), '(settings)', /^expected an object of settings, got/);
  });
});
