/**
 * The run panel's state over a fake runner and an in-memory run store: a run is saved as running,
 * then with its results; a cancelled or failed run says so; a run left `running` by another page
 * load is listed as interrupted and resumes with the same job; progress bars keep their start.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Benchmark, ResultRow, ResultsFile } from '../../../../src/core/index.js';
import type { EvaluationJob, RunProgress, SavedRun } from '../../../../src/protocol/evaluation-service.js';
import { summarizeRun } from '../../../../src/storage/run-store.js';
import {
  RunState,
  corlPreset,
  methodsPreset,
  etaSeconds,
  type RunRecords,
  type RunRunner,
} from '../../../../src/lib/state/run-state.svelte.js';
import type { RunLocks } from '../../../../src/lib/state/run-locks.js';

class MemoryRecords implements RunRecords {
  readonly saved = new Map<string, SavedRun>();
  readonly writes: SavedRun[] = [];
  async list() {
    return [...this.saved.values()].sort((a, b) => b.createdAt - a.createdAt).map(summarizeRun);
  }
  async get(id: string) {
    return this.saved.get(id);
  }
  async put(run: SavedRun) {
    // What IndexedDB does: a structured clone, which fails on Svelte proxies and functions.
    const copy = structuredClone(run);
    this.saved.set(run.id, copy);
    this.writes.push(copy);
  }
  async delete(id: string) {
    this.saved.delete(id);
  }
}

const benchmark = { meta: {}, categories: [], samples: [] } as unknown as Benchmark;
/** Bundled role-play models by id, as the run panel is given them. */
const rolePlay = (...ids: string[]) => ids.map((id) => ({ id, role: 'role-play' as const }));
const results = { manifest: { createdAt: '2026-01-01T00:00:00.000Z' }, rows: [] } as unknown as ResultsFile;

/** A runner whose runs finish, fail or wait for an abort, as each test sets it up. */
class FakeRunner implements RunRunner {
  jobs: EvaluationJob[] = [];
  behaviour: 'finish' | 'fail' | 'hang' = 'finish';
  /** Calls that die as a crashed worker does before the runner behaves as set. */
  crashes = 0;
  progress: RunProgress[] = [];
  terminate?: () => void;
  async run(job: EvaluationJob, onProgress?: (p: RunProgress) => void, signal?: AbortSignal): Promise<ResultsFile> {
    this.jobs.push(structuredClone(job));
    for (const p of this.progress) onProgress?.(p);
    if (this.crashes > 0) {
      this.crashes--;
      throw Object.assign(new Error('the evaluation worker stopped: out of memory'), { name: 'EvaluationWorkerError' });
    }
    if (this.behaviour === 'fail')
      throw Object.assign(new Error('the model file is corrupt'), { name: 'ModelLoadError' });
    if (this.behaviour === 'hang') {
      return new Promise((_, reject) =>
        signal?.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { name: 'AbortError' }))),
      );
    }
    return results;
  }
}

let ids = 0;
function setup() {
  const runner = new FakeRunner();
  const records = new MemoryRecords();
  const state = new RunState(runner, records, () => `run-${++ids}`);
  return { runner, records, state };
}
const source = { name: 'bench.json', sha256: 'ab'.repeat(32), benchmark };

describe('RunState', () => {
  it('builds the job from the options, saves the run as running, then with its results', async () => {
    const { runner, records, state } = setup();
    await state.init(rolePlay('tiny-en', 'tiny-multi'));
    expect(state.options.policies).toEqual(['tiny-en', 'tiny-multi']);
    expect(state.options.estimator).toBe('tiny-multi');
    state.options.policies = ['tiny-en'];
    state.options.limitPerCategory = 3;
    state.options.maxPairs = 7;
    state.options.device = 'wasm';
    await state.start(source);

    expect(runner.jobs).toHaveLength(1);
    const job = runner.jobs[0]!;
    expect(job.policies).toEqual([{ source: 'bundled', id: 'tiny-en' }]);
    expect(job.estimator).toEqual({ source: 'bundled', id: 'tiny-multi' });
    expect(job.settings).toMatchObject({ maxPairs: 7, limitPerCategory: 3, seed: 42, reasoning: 'none' });
    expect(job.device).toBe('wasm');
    expect(job.benchmarkSource).toEqual({ name: 'bench.json', sha256: source.sha256 });
    expect(records.writes.map((w) => w.status)).toEqual(['running', 'done']);
    expect(records.writes[1]!.results).toEqual(results);
    expect(state.phase).toBe('done');
    expect(state.viewed?.results).toEqual(results);
    expect(state.runs.map((r) => r.status)).toEqual(['done']);
  });

  it('asks for est-v1 and the thought model when reasoning is written by a model', async () => {
    const { runner, state } = setup();
    await state.init(rolePlay('tiny-en', 'tiny-multi'));
    state.options.estimatorTemplate = 'rp-v1';
    state.options.reasoning = 'generate';
    state.options.estimatorKind = 'null-prompt';
    await state.start(source);
    expect(runner.jobs[0]!.settings).toMatchObject({
      reasoning: 'generate',
      estimatorTemplate: 'est-v1',
      estimatorKind: 'null-prompt',
    });
    // No thought model chosen: the estimator writes r.
    expect(runner.jobs[0]!.thought).toEqual({ source: 'bundled', id: 'tiny-multi' });
    state.options.thought = 'tiny-en';
    await state.start(source);
    expect(runner.jobs[1]!.thought).toEqual({ source: 'bundled', id: 'tiny-en' });
    state.options.reasoning = 'none';
    await state.start(source);
    expect(runner.jobs[2]!.thought).toBeUndefined();
    expect(runner.jobs[2]!.settings.estimatorTemplate).toBe('rp-v1');
  });

  it('adds imported responses as policies, answering exactly the samples the run uses', async () => {
    const { runner, state } = setup();
    await state.init(rolePlay('m'));
    const small = {
      meta: {},
      categories: [{ tag: 'IDTest' }, { tag: 'french' }],
      samples: [
        { id: 'a', category: 'IDTest' },
        { id: 'b', category: 'IDTest' },
        { id: 'c', category: 'french' },
        { id: 'd', category: 'french' },
      ],
    } as unknown as Benchmark;
    state.options.limitPerCategory = 1;
    state.addImported('mine', 'mine.json', JSON.stringify({ a: 'A', b: 'B', c: 'C', d: 'D' }));
    await state.start({ ...source, benchmark: small });
    // With one sample per category only a and c are asked; b and d are known but not sent.
    expect(runner.jobs[0]!.importedPolicies).toEqual([{ id: 'mine', responses: { a: 'A', c: 'C' } }]);

    state.addImported('mine', 'short.json', JSON.stringify({ a: 'A' }));
    expect(state.imported.map((i) => i.fileName)).toEqual(['short.json']);
    await state.start({ ...source, benchmark: small });
    expect(runner.jobs).toHaveLength(1);
    expect(state.phase).toBe('failed');
    expect(state.error).toMatch(/short\.json \(mine\) was refused/);
    expect(state.error).toMatch(/"c"/);
  });

  it('refuses to start without a policy or an estimator, and says why', async () => {
    const { runner, state } = setup();
    await state.init(rolePlay());
    await state.start(source);
    expect(state.phase).toBe('failed');
    expect(state.error).toMatch(/policy/);
    expect(runner.jobs).toHaveLength(0);
  });

  it('records a failure with the error name and message', async () => {
    const { runner, records, state } = setup();
    await state.init(rolePlay('m'));
    runner.behaviour = 'fail';
    await state.start(source);
    expect(state.phase).toBe('failed');
    expect(state.error).toBe('ModelLoadError: the model file is corrupt');
    expect([...records.saved.values()][0]).toMatchObject({ status: 'failed', error: state.error });
  });

  it('shows each category’s rows as they arrive, once each across a restarted worker, and clears them for the next run', async () => {
    const { runner, state } = setup();
    await state.init(rolePlay('m'));
    const row = (category: string, remid: number | null) =>
      ({
        policy: 'm',
        category,
        shift: 'none',
        reference: null,
        n: 3,
        miModel: 1,
        miGold: 2,
        emi: -1,
        remid,
        remidCi: null,
      }) as unknown as ResultRow;
    const at = { stage: 'score', subject: 'x', done: 1, total: 2, tokensComputed: 0, cacheHits: 0 } as const;
    runner.behaviour = 'hang';
    // The worker dies after two categories; the restarted one sends them again (from the cache), then a third.
    runner.crashes = 1;
    const first = [
      { ...at, rows: [row('IDTest', null)] },
      { ...at, rows: [row('chinese', 0.5)] },
    ];
    const seen: string[][] = [];
    const run = runner.run.bind(runner);
    runner.run = (job, onProgress, signal) => {
      runner.progress = runner.jobs.length === 0 ? first : [...first, { ...at, rows: [row('french', 0.25)] }];
      return run(
        job,
        (p) => {
          onProgress?.(p);
          seen.push(state.partialRows.map((r) => r.category));
        },
        signal,
      );
    };
    void state.start(source);
    await vi.waitFor(() => expect(runner.jobs).toHaveLength(2));
    expect(seen).toEqual([
      ['IDTest'],
      ['IDTest', 'chinese'],
      ['IDTest', 'chinese'],
      ['IDTest', 'chinese'],
      ['IDTest', 'chinese', 'french'],
    ]);
    expect(state.partialRows.map((r) => [r.category, r.remid])).toEqual([
      ['IDTest', null],
      ['chinese', 0.5],
      ['french', 0.25],
    ]);
    state.cancel();
    await vi.waitFor(() => expect(state.phase).toBe('cancelled'));
    runner.run = run;
    runner.behaviour = 'finish';
    runner.progress = [];
    await state.start(source);
    expect(state.phase).toBe('done');
    expect(state.partialRows).toEqual([]);
  });

  it('restarts a crashed worker with the same job, says so, and gives up after two restarts', async () => {
    const { runner, records, state } = setup();
    await state.init(rolePlay('m'));
    runner.crashes = 2;
    await state.start(source);
    expect(state.phase).toBe('done');
    expect(runner.jobs).toHaveLength(3);
    expect(runner.jobs[1]).toEqual(runner.jobs[0]);
    expect(runner.jobs[2]).toEqual(runner.jobs[0]);
    expect(state.notice).toBe(
      'the evaluation worker stopped: out of memory. It was restarted (2 times), and the run goes on from what was already computed.',
    );
    expect([...records.saved.values()][0]).toMatchObject({ status: 'done' });

    runner.crashes = 3;
    runner.jobs = [];
    await state.start(source);
    expect(runner.jobs).toHaveLength(3);
    expect(state.phase).toBe('failed');
    expect(state.error).toBe('EvaluationWorkerError: the evaluation worker stopped: out of memory');
  });

  it('goes on on wasm in a fresh worker when a model’s WebGPU device is lost, and says so', async () => {
    const { runner, state } = setup();
    await state.init(rolePlay('m'));
    state.options.device = 'webgpu';
    const run = runner.run.bind(runner);
    let terminated = 0;
    runner.terminate = () => terminated++;
    runner.run = async (job, onProgress, signal) => {
      if (runner.jobs.length > 0) return run(job, onProgress, signal);
      runner.jobs.push(structuredClone(job));
      throw Object.assign(new Error('the WebGPU device was lost (destroyed)'), { name: 'DeviceLostError' });
    };
    await state.start(source);
    expect(state.phase).toBe('done');
    expect(terminated).toBe(1);
    expect(runner.jobs.map((j) => j.device)).toEqual(['webgpu', 'wasm']);
    expect({ ...runner.jobs[1], device: 'webgpu' }).toEqual(runner.jobs[0]);
    expect(state.notice).toContain('the WebGPU device was lost (destroyed). The run goes on on wasm in a fresh worker');
  });

  it('lists a run going on in another tab as running there, and will not resume it twice', async () => {
    // Two tabs: one store, one lock manager (as the browser's Web Locks are shared by an origin's pages).
    const held = new Set<string>();
    const locks: RunLocks = {
      async hold(id, work) {
        held.add(id);
        try {
          return await work();
        } finally {
          held.delete(id);
        }
      },
      held: async () => new Set(held),
    };
    const records = new MemoryRecords();
    const busy = new FakeRunner();
    busy.behaviour = 'hang';
    const first = new RunState(busy, records, () => 'run-a', locks);
    const other = new FakeRunner();
    const second = new RunState(other, records, () => 'run-b', locks);
    await first.init(rolePlay('m'));
    await second.init(rolePlay('m'));
    const running = first.start(source);
    await expect.poll(() => first.running).toBe(true);
    await second.refreshList();
    expect(second.runs.map((r) => [r.id, r.status])).toEqual([['run-a', 'elsewhere']]);
    await second.resume('run-a');
    expect(second.error).toBe('that run is running in another tab');
    expect(other.jobs).toHaveLength(0);
    // The first tab goes away mid-run (its lock is released, its record still says running).
    held.clear();
    await second.refreshList();
    expect(second.runs.map((r) => [r.id, r.status])).toEqual([['run-a', 'interrupted']]);
    first.cancel();
    await running;
  });

  it('cancels a run in progress and resumes it with the same job', async () => {
    const { runner, records, state } = setup();
    await state.init(rolePlay('m'));
    runner.behaviour = 'hang';
    const running = state.start(source);
    await expect.poll(() => state.running).toBe(true);
    state.cancel();
    await running;
    expect(state.phase).toBe('cancelled');
    expect(state.error).toBe('');
    const [saved] = [...records.saved.values()];
    expect(saved!.status).toBe('cancelled');

    runner.behaviour = 'finish';
    await state.resume(saved!.id);
    expect(runner.jobs).toHaveLength(2);
    expect(runner.jobs[1]).toEqual(runner.jobs[0]);
    expect(records.saved.get(saved!.id)).toMatchObject({ status: 'done', createdAt: saved!.createdAt });
  });

  it('lists a run left running by an earlier page as interrupted', async () => {
    const { records, state } = setup();
    await records.put({ id: 'old', createdAt: 1, updatedAt: 2, status: 'running', job: structuredClone(runnerJob()) });
    await state.init(rolePlay('m'));
    expect(state.runs).toEqual([expect.objectContaining({ id: 'old', status: 'interrupted' })]);
  });

  it('keeps one progress bar per stage and subject, with its start time for the ETA', async () => {
    const { runner, state } = setup();
    await state.init(rolePlay('m'));
    const p = (stage: RunProgress['stage'], subject: string, done: number, total: number): RunProgress => ({
      stage,
      subject,
      done,
      total,
      tokensComputed: done * 10,
      cacheHits: 0,
    });
    runner.progress = [p('generate', 'm', 1, 4), p('generate', 'm', 2, 4), p('score', 'IDTest', 1, 3)];
    await state.start(source);
    expect(state.stages.map((s) => [s.key, s.done, s.total])).toEqual([
      ['generate:m', 2, 4],
      ['score:IDTest', 1, 3],
    ]);
  });
});

describe('importing a results file', () => {
  it('saves a valid file as a finished run that cannot be rerun, and refuses a broken one with paths', async () => {
    const { records, state } = setup();
    await state.init(rolePlay('m'));
    await state.importResults('broken.json', '{"manifest": {}}');
    expect(state.phase).toBe('failed');
    expect(state.error).toMatch(/^broken\.json is not a results file/);
    expect(state.error).toMatch(/manifest\.formatVersion/);
    expect(records.saved.size).toBe(0);

    const good = {
      manifest: {
        formatVersion: 1,
        appVersion: '0.1.0',
        createdAt: '2026-11-25T00:00:00.000Z',
        benchmark: { sha256: 'ab', samples: 1 },
        policies: [{ id: 'p', source: 'imported' }],
        estimator: { id: 'e', source: 'bundled' },
        settings: { maxPairs: 1, seed: 1, reasoning: 'none', estimatorTemplate: 'rp-v1' },
        templates: { policy: 'rp-v1', estimator: 'rp-v1' },
        counts: {},
        timings: {},
      },
      rows: [
        {
          policy: 'p',
          category: 'IDTest',
          shift: 'none',
          reference: null,
          n: 1,
          miModel: null,
          miGold: null,
          emi: null,
          remid: null,
          remidCi: null,
        },
      ],
      families: [],
      pairs: [],
      responses: {},
    };
    await state.importResults('run.json', JSON.stringify(good));
    expect(state.error).toBe('');
    expect(state.viewed?.results).toEqual(good);
    expect(state.runs).toEqual([
      expect.objectContaining({ status: 'done', label: 'run.json (imported)', rerunnable: false }),
    ]);
    await state.resume(state.runs[0]!.id);
    expect(state.error).toMatch(/cannot be run again/);
  });
});

describe('RunState with the bundled CoRL pair', () => {
  /** The bundled models in the manifest's order: the role-play models, then the CoRL pair. */
  const bundled = [
    ...rolePlay('rolescope-tiny-en', 'rolescope-tiny-multi'),
    { id: 'rolescope-corl-estimator', role: 'corl-estimator' as const },
    { id: 'rolescope-corl-thought', role: 'corl-thought' as const },
  ];

  it('takes only the role-play models as default policies, the last of them scoring and encoding', async () => {
    const { state } = setup();
    await state.init(bundled);
    expect(state.options.policies).toEqual(['rolescope-tiny-en', 'rolescope-tiny-multi']);
    expect(state.options.estimator).toBe('rolescope-tiny-multi');
    expect(state.options.encoder).toBe('rolescope-tiny-multi');
    expect(state.options.reasoning).toBe('none');
    expect(state.options.thought).toBe('');
  });

  it('runs the demo on the role-play models only, whatever the form had', async () => {
    const { runner, state } = setup();
    await state.init(bundled);
    state.useCorl(bundled);
    state.options.policies = ['rolescope-corl-thought'];
    await state.startDemo(source, bundled);
    const job = runner.jobs[0]!;
    expect(job.policies).toEqual([
      { source: 'bundled', id: 'rolescope-tiny-en' },
      { source: 'bundled', id: 'rolescope-tiny-multi' },
    ]);
    expect(job.estimator).toEqual({ source: 'bundled', id: 'rolescope-tiny-multi' });
    expect(job.encoder).toEqual({ kind: 'input-embeddings', model: 'rolescope-tiny-multi' });
    expect(job.thought).toBeUndefined();
    expect(job.settings).toMatchObject({ reasoning: 'none', estimatorTemplate: 'rp-v1', limitPerCategory: 4 });
  });

  it('presets the CoRL estimator, reasoning written by the CoRL thought policy, and est-v1', async () => {
    const { runner, state } = setup();
    await state.init(bundled);
    state.options.estimatorKind = 'mixture';
    expect(state.useCorl(bundled)).toBe(true);
    expect(state.options).toMatchObject({
      estimator: 'rolescope-corl-estimator',
      reasoning: 'generate',
      thought: 'rolescope-corl-thought',
      estimatorTemplate: 'est-v1',
      // What the preset is not about stays.
      estimatorKind: 'mixture',
      policies: ['rolescope-tiny-en', 'rolescope-tiny-multi'],
      encoder: 'rolescope-tiny-multi',
    });
    await state.start(source);
    const job = runner.jobs[0]!;
    expect(job.estimator).toEqual({ source: 'bundled', id: 'rolescope-corl-estimator' });
    expect(job.thought).toEqual({ source: 'bundled', id: 'rolescope-corl-thought' });
    expect(job.settings).toMatchObject({ reasoning: 'generate', estimatorTemplate: 'est-v1' });
  });

  it('changes nothing when the pair is not both bundled, or while a run is in progress', async () => {
    const { runner, state } = setup();
    await state.init(bundled);
    const before = { ...state.options };
    expect(state.useCorl(bundled.slice(0, 3))).toBe(false);
    expect(state.useCorl(rolePlay('rolescope-tiny-en'))).toBe(false);
    expect(state.options).toEqual(before);
    runner.behaviour = 'hang';
    const running = state.start(source);
    await expect.poll(() => state.running).toBe(true);
    expect(state.useCorl(bundled)).toBe(false);
    expect(state.options.estimator).toBe('rolescope-tiny-multi');
    state.cancel();
    await running;
  });
});

describe('corlPreset', () => {
  it('finds the pair by role, in any order, and nothing without both', () => {
    const pair = [
      { id: 'thinker', role: 'corl-thought' as const },
      { id: 'scorer', role: 'corl-estimator' as const },
    ];
    expect(corlPreset([...rolePlay('a'), ...pair])).toEqual({
      estimator: 'scorer',
      reasoning: 'generate',
      thought: 'thinker',
      estimatorTemplate: 'est-v1',
    });
    expect(corlPreset(pair.slice(0, 1))).toBeNull();
    expect(corlPreset(rolePlay('a', 'b'))).toBeNull();
    expect(corlPreset([])).toBeNull();
  });
});

describe('etaSeconds', () => {
  it('extrapolates the rate so far', () => {
    const base = { key: 'k', stage: 'score' as const, subject: 's', startedAt: 1000 };
    expect(etaSeconds({ ...base, done: 2, total: 10, updatedAt: 5000 })).toBe(16);
    expect(etaSeconds({ ...base, done: 0, total: 10, updatedAt: 5000 })).toBeNull();
  });
});

function runnerJob(): EvaluationJob {
  return {
    benchmark,
    benchmarkSource: { name: 'b', sha256: null },
    policies: [{ source: 'bundled', id: 'm' }],
    estimator: { source: 'bundled', id: 'm' },
    settings: { maxPairs: 1, seed: 1, bootstrapReplicates: 1, reasoning: 'none', estimatorTemplate: 'rp-v1' },
    device: 'auto',
  };
}

describe('methodsPreset and RunState.useMethods', () => {
  /** The manifest's order: role-play models (the base labelled SFT), the CoRL pair, the method policies. */
  const bundled = [
    ...rolePlay('rolescope-tiny-en'),
    { id: 'rolescope-tiny-multi', role: 'role-play' as const, method: 'SFT' },
    { id: 'rolescope-corl-estimator', role: 'corl-estimator' as const },
    { id: 'rolescope-corl-thought', role: 'corl-thought' as const },
    { id: 'rolescope-method-rl', role: 'method-policy' as const, method: 'SFT + RL (GRPO)' },
    { id: 'rolescope-method-think', role: 'method-policy' as const, method: 'thinking SFT' },
  ];

  it('takes the labelled policies and the CoRL pair, and nothing without a method policy', () => {
    expect(methodsPreset(bundled)).toEqual({
      policies: ['rolescope-tiny-multi', 'rolescope-method-rl', 'rolescope-method-think'],
      estimator: 'rolescope-corl-estimator',
      reasoning: 'generate',
      thought: 'rolescope-corl-thought',
      estimatorTemplate: 'est-v1',
    });
    // Without the CoRL pair the estimator fields are left as they are.
    expect(methodsPreset(bundled.filter((m) => !m.role.startsWith('corl')))).toEqual({
      policies: ['rolescope-tiny-multi', 'rolescope-method-rl', 'rolescope-method-think'],
    });
    expect(methodsPreset(bundled.slice(0, 4))).toBeNull();
  });

  it('never makes a method policy a default, and presets the comparison on request', async () => {
    const { runner, state } = setup();
    await state.init(bundled);
    expect(state.options.policies).toEqual(['rolescope-tiny-en', 'rolescope-tiny-multi']);
    expect(state.useMethods(bundled)).toBe(true);
    expect(state.options).toMatchObject({
      policies: ['rolescope-tiny-multi', 'rolescope-method-rl', 'rolescope-method-think'],
      estimator: 'rolescope-corl-estimator',
      reasoning: 'generate',
    });
    await state.start(source);
    expect(runner.jobs[0]!.policies.map((p) => p.id)).toEqual([
      'rolescope-tiny-multi',
      'rolescope-method-rl',
      'rolescope-method-think',
    ]);
    expect(state.useMethods(bundled.slice(0, 4))).toBe(false);
  });
});
