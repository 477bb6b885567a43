/**
 * The rest of the bad-input corpus's entry points, through the code the app runs: public data
 * converted by the benchmark worker's service (test/fixtures/bad/importers/), and the run panel's
 * state importing responses and results files as bytes and starting runs with bad settings. Every
 * refusal says why, and a refused file leaves the saved runs and the imported policies as they were.
 */
import { describe, expect, it } from 'vitest';
import type { Benchmark, ResultsFile } from '../../../src/core/index.js';
import type { SavedRun } from '../../../src/protocol/evaluation-service.js';
import { RunState, type RunRecords } from '../../../src/lib/state/run-state.svelte.js';
import { summarizeRun } from '../../../src/storage/run-store.js';
import { createBenchmarkService } from '../../../workers/benchmark/service.js';
import type { ImportSourceKind } from '../../../src/protocol/benchmark-service.js';
import { corpusBytes, corpusFiles, expectNoPollution, IMG, SCRIPT } from './corpus.js';

/** Bundled role-play models by id, as the run panel is given them. */
const rolePlay = (...ids: string[]) => ids.map((id) => ({ id, role: 'role-play' as const }));

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

describe('public data from the bad-input corpus, converted by the benchmark service', () => {
  const service = createBenchmarkService();
  const convert = (kind: ImportSourceKind, file: string, options = {}) =>
    service.importFiles(kind, [{ name: file, file: new Blob([corpusBytes(`importers/${file}`)]) }], options);

  const REFUSED: [ImportSourceKind, string, string | RegExp][] = [
    ['xpersona', 'En_persona_not-json.json', /^not an Xpersona file: not valid JSON/],
    ['xpersona', 'En_persona_wrong-shape.json', /^not an Xpersona file: at \[0\]\[persona\]/],
    ['spc', 'spc-missing-columns.csv', 'not a Synthetic-Persona-Chat CSV: missing column(s) "user 1 personas"'],
    ['rolebench', 'rolebench-broken-line.jsonl', 'not a RoleBench JSONL file: line 2 is not valid JSON'],
    ['rolebench', 'rolebench-missing-fields.jsonl', 'line 1 lacks a role, a question or generated answers'],
  ];

  it('has a case for every file', () => {
    expect(corpusFiles('importers')).toEqual(
      [...REFUSED.map(([, file]) => file), 'En_persona_html.json', 'rolebench-constructor-role.jsonl'].sort(),
    );
  });

  it.each(REFUSED)('%s: %s', async (kind, file, message) => {
    const outcome = await convert(kind, file);
    expect(outcome.text).toBeNull();
    expect(!outcome.result.ok && outcome.result.errors[0]!.message).toEqual(
      typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message),
    );
    expectNoPollution();
  });

  it('converts HTML in Xpersona text as text', async () => {
    const outcome = await convert('xpersona', 'En_persona_html.json');
    expect(outcome.result.ok).toBe(true);
    if (!outcome.result.ok) return;
    const [sample] = outcome.result.benchmark.samples;
    expect(sample!.agentCharacter).toBe(IMG);
    expect(sample!.dialogue[0]!.text).toBe(`Hi ${SCRIPT}`);
    expect(sample!.goldenResponse).toBe(`Hello ${IMG}`);
  });

  it('gives a role named "constructor" no inherited profile', async () => {
    const outcome = await convert('rolebench', 'rolebench-constructor-role.jsonl', {
      profiles: { Sherlock: { name: 'Sherlock Holmes' } },
    });
    expect(outcome.result.ok).toBe(true);
    if (!outcome.result.ok) return;
    expect(outcome.result.benchmark.samples.map((s) => s.agentCharacter)).toEqual([
      { name: 'constructor' },
      { name: '__proto__' },
    ]);
    expect(outcome.notes).toContainEqual('no profile for 2 role(s): constructor, __proto__');
    expectNoPollution();
  });
});

class MemoryRecords implements RunRecords {
  readonly saved = new Map<string, SavedRun>();
  async list() {
    return [...this.saved.values()].map(summarizeRun);
  }
  async get(id: string) {
    return this.saved.get(id);
  }
  async put(run: SavedRun) {
    this.saved.set(run.id, structuredClone(run));
  }
  async delete(id: string) {
    this.saved.delete(id);
  }
}

describe('the run panel with bad files and settings', () => {
  const benchmark = {
    meta: {},
    categories: [{ tag: 'IDTest' }],
    samples: ['a', 'b', 'c'].map((id) => ({ id, category: 'IDTest' })),
  } as unknown as Benchmark;
  const source = { name: 'bench.json', sha256: null, benchmark };

  function setup() {
    const jobs: unknown[] = [];
    const records = new MemoryRecords();
    const runner = {
      run: async (job: unknown) => {
        jobs.push(job);
        return { manifest: {}, rows: [] } as unknown as ResultsFile;
      },
    };
    let id = 0;
    return { jobs, records, state: new RunState(runner, records, () => `run-${++id}`) };
  }

  it('refuses responses that are not UTF-8 when they are chosen, keeping the imported policies', async () => {
    const { state } = setup();
    await state.init(rolePlay('m'));
    state.addImported('good', 'good.json', toArrayBuffer(new TextEncoder().encode('{"a": "A", "b": "B", "c": "C"}')));
    state.addImported('latin', 'invalid-utf8.json', toArrayBuffer(corpusBytes('responses/invalid-utf8.json')));
    expect(state.phase).toBe('failed');
    expect(state.error).toMatch(/^invalid-utf8\.json was refused: the file is not UTF-8 text: byte 0xE9 at line 1/);
    expect(state.imported.map((i) => i.id)).toEqual(['good']);
  });

  it('refuses a bad responses file at start, listing its problems, and runs nothing', async () => {
    const { jobs, state } = setup();
    await state.init(rolePlay('m'));
    state.addImported('typed', 'wrong-types.json', toArrayBuffer(corpusBytes('responses/wrong-types.json')));
    await state.start(source);
    expect(jobs).toEqual([]);
    expect(state.error).toMatch(/^wrong-types\.json \(typed\) was refused:\n\["a"\]: expected a string, got a number/);
  });

  it('refuses bad results files without storing anything, and stores a good one', async () => {
    const { records, state } = setup();
    await state.init(rolePlay('m'));
    for (const file of ['invalid-utf8.json', 'proto-keys.json', 'truncated.json', 'edited-mi.json']) {
      await state.importResults(file, toArrayBuffer(corpusBytes(`results/${file}`)));
      expect(state.phase, file).toBe('failed');
      expect(state.error, file).toMatch(
        new RegExp(`^${file.replace('.', '\\.')} is not a results file Rolescope can show`),
      );
      expect(records.saved.size, file).toBe(0);
    }
    await state.importResults('html-injection.json', toArrayBuffer(corpusBytes('results/html-injection.json')));
    expect(records.saved.size).toBe(1);
    expect(state.viewed?.results?.rows[0]!.policy).toBe(IMG);
    const stored = structuredClone([...records.saved.values()]);
    await state.importResults('wrong-types.json', toArrayBuffer(corpusBytes('results/wrong-types.json')));
    expect([...records.saved.values()]).toEqual(stored);
  });

  it('refuses settings a form field emptied or pushed out of range, before any worker starts', async () => {
    const { jobs, records, state } = setup();
    await state.init(rolePlay('m'));
    state.options.maxPairs = null as unknown as number;
    state.options.seed = -3;
    await state.start(source);
    expect(jobs).toEqual([]);
    expect(records.saved.size).toBe(0);
    expect(state.error).toBe(
      'these settings cannot run:\n' +
        'maxPairs: missing (expected mismatched pairs per category: a whole number)\n' +
        'seed: expected a seed: from 0 to 4,294,967,295, got -3',
    );
    state.options.maxPairs = 10;
    state.options.seed = 3;
    await state.start(source);
    expect(jobs).toHaveLength(1);
  });
});
