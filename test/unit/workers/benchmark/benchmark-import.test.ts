/**
 * Converting public data in the benchmark service (what the app's "Convert public data" form
 * runs in the worker): the result equals what the core's importSource and the validator give in
 * Node; adding to a loaded benchmark yields a reference and its shift in one file, as the CLI's
 * --append does; wrong-shape files, an undeclared custom tag and unusable options are refusals
 * carrying the ImportError's message (never a throw, never a stack); the same crosses comlink.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { serializeDocument } from '../../../../src/core/benchmark/convert.js';
import type { Benchmark } from '../../../../src/core/benchmark/format.js';
import {
  importSource,
  XPERSONA_LACKS,
  type ImportOptions,
  type ImportSourceKind,
} from '../../../../src/core/benchmark/importers/index.js';
import { type ValidationResult } from '../../../../src/core/benchmark/validate.js';
import { BenchmarkClient } from '../../../../src/lib/clients/benchmark-client.js';
import type { ImportFile } from '../../../../src/protocol/benchmark-service.js';
import { createBenchmarkService, REFERENCE_HINT } from '../../../../workers/benchmark/service.js';
import { appendDocument } from '../../../../src/core/benchmark/convert.js';
import { expectedValidation } from '../../../helpers/validation.js';

/** An Xpersona file: `turns[i]` turns in dialogue i. */
function xpersona(words: string, turns: readonly number[]): string {
  return JSON.stringify(
    turns.map((n, d) => ({
      persona: [`I am persona ${d} (${words}).`, 'I like boats.'],
      dialogue: Array.from({ length: n }, (_, t) => [`${words} question ${d}.${t}?`, `${words} answer ${d}.${t}.`]),
    })),
  );
}

const EN = { name: 'En_persona_test.json', text: xpersona('hello', [4, 5, 2]) };
const FR = { name: 'Fr_persona_split_test_human_annotated.json', text: xpersona('bonjour', [4, 6]) };

const SPC = {
  name: 'spc-test.csv',
  text: [
    'user 1 personas,user 2 personas,Best Generated Conversation',
    '"I like tea.\nI have a cat.","I am a sailor.\nI tie knots.","User 1: Hi, any hobbies?\nUser 2: I tie knots, mostly.\nUser 1: Which knot, then?\nUser 2: The bowline, always.\nUser 1: Why that one?\nUser 2: It never slips."',
    '"I run.","I bake bread.","User 1: Hello!\nUser 2: Hi, fresh bread today.\nUser 1: Rye?\nUser 2: Rye, yes."',
  ].join('\n'),
};

const ROLEBENCH = {
  name: 'rolebench-test.jsonl',
  text: [
    JSON.stringify({ role: 'Sherlock Holmes', question: ' What do you see?', generated: ['A clue, Watson.'] }),
    JSON.stringify({ role: 'Hamlet', question: 'To be?', generated: ['', 'Or not to be.'], type: 'general' }),
    '',
  ].join('\n'),
};

const asFiles = (...files: { name: string; text: string | Uint8Array<ArrayBuffer> }[]): ImportFile[] =>
  files.map((f) => ({ name: f.name, file: new Blob([f.text]) }));

/** What importSource, then the validator, give for the same texts in Node. */
function expected(kind: ImportSourceKind, files: { name: string; text: string }[], options: ImportOptions = {}) {
  const imported = importSource(kind, files, options);
  const text = serializeDocument(imported.document);
  return { imported, text, result: expectedValidation(text) };
}

/** The ImportError message importSource throws for these inputs. */
function importErrorMessage(kind: ImportSourceKind, files: { name: string; text: string }[], options?: ImportOptions) {
  try {
    importSource(kind, files, options);
  } catch (error) {
    expect((error as Error).name).toBe('ImportError');
    return (error as Error).message;
  }
  throw new Error('importSource accepted the input');
}

function accepted(result: ValidationResult): Benchmark {
  if (!result.ok) throw new Error(`refused: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return result.benchmark;
}

const counts = (benchmark: Benchmark) =>
  Object.fromEntries(benchmark.categories.map((c) => [c.tag, [c.family, c.reference, c.sampleCount]]));

describe('benchmark service: importFiles', () => {
  const service = createBenchmarkService();

  it('converts an Xpersona file as the core does: same text, same validation, lacks and notes', async () => {
    const want = expected('xpersona', [EN]);
    const outcome = await service.importFiles('xpersona', asFiles(EN));
    expect(outcome.text).toBe(want.text);
    expect(outcome.result).toEqual(want.result);
    expect(outcome.lacks).toEqual(XPERSONA_LACKS);
    expect(outcome.notes).toEqual(want.imported.notes);
    expect(outcome.notes).toEqual(['skipped 1 of 3 dialogues with fewer than 4 turns']);
    const benchmark = accepted(outcome.result);
    expect(counts(benchmark)).toEqual({ IDTest: ['in-distribution', null, 2] });
    expect(benchmark.samples.every((s) => s.language === 'en')).toBe(true);
  });

  it('converts Synthetic-Persona-Chat CSV and RoleBench JSONL with their options', async () => {
    const spcOptions: ImportOptions = { turn: 'all' };
    const spc = await service.importFiles('spc', asFiles(SPC), spcOptions);
    expect(spc.text).toBe(expected('spc', [SPC], spcOptions).text);
    expect(counts(accepted(spc.result))).toEqual({ IDTest: ['in-distribution', null, 5] });
    expect(spc.lacks).toEqual([]);

    const rbOptions: ImportOptions = { tag: 'Literature', language: 'en' };
    const base = accepted((await service.importFiles('xpersona', asFiles(EN))).result);
    const rb = await service.importFiles('rolebench', asFiles(ROLEBENCH), rbOptions, base);
    expect(counts(accepted(rb.result))).toEqual({
      IDTest: ['in-distribution', null, 2],
      Literature: ['character', 'IDTest', 2],
    });
    expect(rb.lacks).toContain('dialogue history (single-turn questions)');
  });

  it('adds a declared shift to a loaded benchmark, as npm run import -- --append does', async () => {
    const first = await service.importFiles('xpersona', asFiles(EN));
    const base = accepted(first.result);
    const options: ImportOptions = {
      tag: 'french',
      declaration: { family: 'user', label: 'French-speaking users', reference: 'IDTest' },
    };
    const outcome = await service.importFiles('xpersona', asFiles(FR), options, base);
    const benchmark = accepted(outcome.result);
    expect(counts(benchmark)).toEqual({
      IDTest: ['in-distribution', null, 2],
      french: ['user', 'IDTest', 2],
    });
    expect(benchmark.categories.find((c) => c.tag === 'french')?.label).toBe('French-speaking users');
    expect(benchmark.categories.find((c) => c.tag === 'french')?.languages).toEqual({ fr: 2 });
    // The text is the appended document (base's meta kept), and it validates to the same benchmark.
    const base0 = expected('xpersona', [EN]).imported.document;
    expect(outcome.text).toBe(
      serializeDocument(appendDocument(base0, expected('xpersona', [FR], options).imported.document)),
    );
    expect(expectedValidation(outcome.text!)).toEqual(outcome.result);
    expect(benchmark.meta.description).toBe('Imported from xpersona: En_persona_test');

    // Appending to the same tag extends that split.
    const again = await service.importFiles('xpersona', asFiles({ ...FR, name: 'Fr_persona_again.json' }), {}, base);
    expect(counts(accepted(again.result))).toEqual({ IDTest: ['in-distribution', null, 4] });
  });

  it('refuses a shift without its reference, with the validator’s error and a hint', async () => {
    const options: ImportOptions = { tag: 'french', declaration: { family: 'user' } };
    const want = expected('xpersona', [FR], options);
    const outcome = await service.importFiles('xpersona', asFiles(FR), options);
    expect(outcome.result).toEqual(want.result);
    expect(outcome.result.ok).toBe(false);
    expect(outcome.text).toBeNull();
    expect(outcome.lacks).toEqual(XPERSONA_LACKS);
    expect(outcome.notes).toContain(REFERENCE_HINT);
  });

  it('refuses a file of the wrong shape with the ImportError’s message', async () => {
    for (const [kind, file] of [
      ['xpersona', { ...SPC, name: 'En_persona_test.json' }],
      ['spc', EN],
      ['rolebench', EN],
    ] as const) {
      const outcome = await service.importFiles(kind, asFiles(file));
      expect(outcome).toEqual({
        result: {
          ok: false,
          errors: [{ path: '(import)', message: importErrorMessage(kind, [file]) }],
          errorCount: 1,
          warnings: [],
        },
        lacks: [],
        notes: [],
        text: null,
      });
    }
    const message = (await service.importFiles('spc', asFiles(EN))).result;
    expect(!message.ok && message.errors[0]!.message).toMatch(/^not a Synthetic-Persona-Chat CSV: missing column/);
  });

  it('refuses an undeclared custom tag, and an Xpersona file whose language it cannot tell', async () => {
    const outcome = await service.importFiles('xpersona', asFiles(FR), { tag: 'french' });
    expect(outcome.result).toEqual({
      ok: false,
      errors: [{ path: '(import)', message: importErrorMessage('xpersona', [FR], { tag: 'french' }) }],
      errorCount: 1,
      warnings: [],
    });
    expect(!outcome.result.ok && outcome.result.errors[0]!.message).toMatch(/"french" is not one of the paper's tags/);

    const unnamed = { ...EN, name: 'dialogues.json' };
    const noLanguage = await service.importFiles('xpersona', asFiles(unnamed));
    expect(!noLanguage.result.ok && noLanguage.result.errors[0]!.message).toBe(
      importErrorMessage('xpersona', [unnamed]),
    );
    expect((await service.importFiles('xpersona', asFiles(unnamed), { language: 'en' })).result.ok).toBe(true);
  });

  it('refuses unreadable input and unusable options without throwing', async () => {
    const latin1 = new Uint8Array([0x5b, 0x22, 0xe9, 0x22, 0x5d]);
    const bad = await service.importFiles('xpersona', asFiles(EN, { name: 'Fr_latin1.json', text: latin1 }));
    expect(!bad.result.ok && bad.result.errors[0]!.message).toBe(
      'Fr_latin1.json: the file is not UTF-8 text: byte 0xE9 at line 1 (offset 2) does not begin a valid UTF-8 character (save the file as UTF-8 and try again)',
    );
    expect((await service.importFiles('xpersona', [])).result).toMatchObject({
      ok: false,
      errors: [{ message: 'no input files' }],
    });
    for (const turn of [0, 1.5, Number.NaN]) {
      const outcome = await service.importFiles('xpersona', asFiles(EN), { turn });
      expect(!outcome.result.ok && outcome.result.errors[0]!.message).toMatch(/^the turn must be a whole number/);
    }
    const small = createBenchmarkService(64);
    const big = await small.importFiles('xpersona', asFiles(EN));
    expect(!big.result.ok && big.result.errors[0]!.message).toMatch(
      /^the file is .* at most 0\.1 KiB \(64 bytes\) are accepted$/,
    );
    const unknown = await service.importFiles('csv' as ImportSourceKind, asFiles(EN));
    expect(!unknown.result.ok && unknown.result.errors[0]!.message).toMatch(/^unknown source "csv"/);
  });
});

describe('BenchmarkClient.importFiles', () => {
  it('returns the service result across a comlink channel, with the base benchmark posted over', async () => {
    const service = createBenchmarkService();
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(service, port2);
    port1.start();
    const worker = Object.assign(port1, { terminate: () => (port1.close(), port2.close()) }) as unknown as Worker;
    const client = new BenchmarkClient(() => worker);

    const first = await client.importFiles('xpersona', asFiles(EN));
    expect(first).toEqual(await service.importFiles('xpersona', asFiles(EN)));
    const options: ImportOptions = { tag: 'french', declaration: { family: 'user' } };
    const base = accepted(first.result);
    const appended = await client.importFiles('xpersona', asFiles(FR), options, base);
    expect(appended).toEqual(await service.importFiles('xpersona', asFiles(FR), options, base));
    expect(counts(accepted(appended.result))).toEqual({
      IDTest: ['in-distribution', null, 2],
      french: ['user', 'IDTest', 2],
    });
    const refused = await client.importFiles('xpersona', asFiles(FR), { tag: 'french' });
    expect(refused.result.ok).toBe(false);
    await expect(client.importFiles('xpersona', asFiles(EN), {}, null, AbortSignal.abort())).rejects.toMatchObject({
      name: 'AbortError',
    });
    client.terminate();
  });
});
