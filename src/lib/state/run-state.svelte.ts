/**
 * The run panel's state: the settings of the next run, the run in progress (a progress bar per
 * stage with its ETA, tokens per second), the saved runs, and the results being viewed. The
 * pipeline runs in the evaluation worker; this class only starts, stops and records runs.
 */
import {
  checkEvaluationSettings,
  decodeUtf8,
  formatIssue,
  modelRef,
  parseResponsesText,
  parseResultsText,
  selectedSamples,
  type Benchmark,
  type EstimatorTemplate,
  type EvaluationSettings,
  type MiEstimatorKind,
  type ReasoningMode,
  type ResultRow,
  type ResultsFile,
} from '../../core/index.js';
import type { EvaluationJob, RunProgress, RunStage, RunSummary, SavedRun } from '../../protocol/evaluation-service.js';
import type { DeviceName, DType } from '../../protocol/model-service.js';
import { browserRunLocks, type RunLocks } from './run-locks.js';
import { storageProblemOf, worseProblem, type StorageProblem } from '../../storage/storage-fault.js';

/**
 * The parts of EvaluationClient and IdbRunStore this state uses (fakes in unit tests). A records
 * method that fails means the browser is not storing anything (full, or IndexedDB unavailable):
 * the run goes on in memory.
 */
export interface RunRunner {
  run(job: EvaluationJob, onProgress?: (p: RunProgress) => void, signal?: AbortSignal): Promise<ResultsFile>;
  /** Stops the worker; the next run starts a fresh one. */
  terminate?(): void;
}
export interface RunRecords {
  /** Summaries only: listing runs must not read their results. */
  list(): Promise<RunSummary[]>;
  get(id: string): Promise<SavedRun | undefined>;
  put(run: SavedRun): Promise<void>;
  delete(id: string): Promise<void>;
}

/** The benchmark to run on, as the benchmark panel loaded it. */
export interface RunBenchmark {
  readonly name: string;
  /** SHA-256 of the file's text; null when unknown. */
  readonly sha256: string | null;
  readonly benchmark: Benchmark;
}

export interface RunOptions {
  policies: string[];
  estimator: string;
  estimatorKind: MiEstimatorKind;
  /**
   * rp-v1 is the role-play prompt the bundled models were trained on; est-v1 is method.md's
   * estimator prompt, the only one with a place for the reasoning r.
   */
  estimatorTemplate: EstimatorTemplate;
  reasoning: ReasoningMode;
  /** The model that writes r when `reasoning` is generate; empty for the estimator itself. */
  thought: string;
  maxPairs: number;
  seed: number;
  bootstrapReplicates: number;
  /** Samples per category; null for all. */
  limitPerCategory: number | null;
  /** Compute the upper bound, embedding texts with this bundled model's input embeddings. */
  bound: boolean;
  encoder: string;
  /** Ĥ in nats per token instead of its estimate; null to estimate it. */
  hHatOverride: number | null;
  device: DeviceName | 'auto';
}

/** One progress bar: a stage and what it works on, with when it started for its ETA. */
export interface StageProgress {
  readonly key: string;
  readonly stage: RunStage;
  readonly subject: string;
  readonly done: number;
  readonly total: number;
  readonly startedAt: number;
  readonly updatedAt: number;
}

/** A responses file the user chose: kept as text, checked against the samples when a run starts. */
export interface ImportedResponses {
  readonly id: string;
  readonly fileName: string;
  readonly text: string;
}

export type RunPhase = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

/**
 * How the list shows a saved run: a run still `running` in the store is running in another tab
 * (`elsewhere`, it holds its lock) or was interrupted (the page that ran it closed or reloaded).
 */
export type RunListStatus = SavedRun['status'] | 'interrupted' | 'elsewhere';

export interface RunListItem {
  readonly id: string;
  readonly createdAt: number;
  readonly status: RunListStatus;
  readonly label: string;
  /** False for imported results, which have no job to run again. */
  readonly rerunnable: boolean;
}

const DEFAULT_OPTIONS: RunOptions = {
  policies: [],
  estimator: '',
  estimatorKind: 'reference',
  estimatorTemplate: 'rp-v1',
  reasoning: 'none',
  thought: '',
  maxPairs: 1000,
  seed: 42,
  bootstrapReplicates: 1000,
  limitPerCategory: null,
  bound: true,
  encoder: '',
  hHatOverride: null,
  device: 'auto',
};

/**
 * The one-click demo: every bundled policy on the first 4 samples of each category, 12 mismatched
 * pairs and 200 bootstrap replicates, so a laptop CPU finishes in about a minute.
 */
export const DEMO_OPTIONS = { limitPerCategory: 4, maxPairs: 12, bootstrapReplicates: 200 } as const;

/** Seconds left at the stage's rate so far; null before there is a rate. */
export function etaSeconds(p: StageProgress): number | null {
  const elapsed = (p.updatedAt - p.startedAt) / 1000;
  if (p.done === 0 || elapsed <= 0) return null;
  return ((p.total - p.done) * elapsed) / p.done;
}

/** A file's text as given, or its bytes decoded strictly as UTF-8. */
const textOf = (content: string | ArrayBuffer) =>
  typeof content === 'string' ? { ok: true as const, text: content } : decodeUtf8(content);

/** Times a run restarts a crashed evaluation worker before it gives up and fails. */
const MAX_WORKER_RESTARTS = 2;

/** Plain data for IndexedDB and postMessage: Svelte's $state proxies cannot be cloned. */
const plain = <T>(value: T): T => $state.snapshot(value) as T;

export class RunState {
  options = $state<RunOptions>({ ...DEFAULT_OPTIONS });
  #phase = $state<RunPhase>('idle');
  #error = $state('');
  #notice = $state('');
  #stages = $state.raw<readonly StageProgress[]>([]);
  /** Rows of the categories scored so far, by policy and category (a restarted worker sends them again). */
  #partialRows = $state.raw<readonly ResultRow[]>([]);
  #tokensComputed = $state(0);
  #cacheHits = $state(0);
  #runStartedAt = $state(0);
  #now = $state(0);
  #runs = $state.raw<readonly RunListItem[]>([]);
  #viewed = $state.raw<SavedRun | null>(null);
  #imported = $state.raw<readonly ImportedResponses[]>([]);
  #storageProblem = $state<StorageProblem | null>(null);
  #listError = $state('');
  #currentId: string | null = null;
  #controller: AbortController | null = null;

  /** The precision to load a model in, by name (a Hub model: the one downloaded); undefined for the default. */
  dtypeOf: (name: string) => DType | undefined = () => undefined;
  /** Told of every storage failure (the page-wide warning). */
  onStorageProblem: (problem: StorageProblem) => void = () => {};
  /** Told of every run stored (a full disk has room again). */
  onStorageSaved: () => void = () => {};

  constructor(
    private readonly runner: RunRunner,
    private readonly records: RunRecords,
    private readonly newId: () => string = () => crypto.randomUUID(),
    private readonly locks: RunLocks = browserRunLocks(),
  ) {}

  get phase() {
    return this.#phase;
  }
  /** What happened on the way that the run recovered from (a restarted worker). */
  get notice() {
    return this.#notice;
  }
  get error() {
    return this.#error;
  }
  /**
   * Why the current (or last) run, or the results being viewed, are not saved in the browser:
   * they are in memory only, and the results view's downloads are the way to keep them.
   */
  get storageProblem() {
    return this.#storageProblem;
  }
  /** Why the saved runs cannot be listed (the browser stores nothing); '' when they can. */
  get listError() {
    return this.#listError;
  }
  /** The results so far of the run in progress, in the order their categories finished. */
  get partialRows(): readonly ResultRow[] {
    return this.#partialRows;
  }

  get stages() {
    return this.#stages;
  }
  get running() {
    return this.#phase === 'running';
  }
  get runs() {
    return this.#runs;
  }
  /** The run whose results are shown. */
  get viewed() {
    return this.#viewed;
  }
  /** Imported responses that will answer as policies beside the models. */
  get imported() {
    return this.#imported;
  }
  get cacheHits() {
    return this.#cacheHits;
  }
  /** Model tokens per second since the run started (cached work costs none). */
  get tokensPerSecond(): number {
    const seconds = (this.#now - this.#runStartedAt) / 1000;
    return seconds > 0 ? this.#tokensComputed / seconds : 0;
  }

  /**
   * Adds (or replaces, by id) a policy whose responses come from a file: its text, or its bytes
   * (refused here unless they are UTF-8).
   */
  addImported(id: string, fileName: string, content: string | ArrayBuffer): void {
    const name = id.trim();
    if (!name) return this.fail('name the imported policy');
    const text = textOf(content);
    if (!text.ok) return this.fail(`${fileName} was refused: ${text.message}`);
    this.#imported = [...this.#imported.filter((r) => r.id !== name), { id: name, fileName, text: text.text }];
    if (this.#phase === 'failed') this.#phase = 'idle';
    this.#error = '';
  }

  removeImported(id: string): void {
    this.#imported = this.#imported.filter((r) => r.id !== id);
  }

  /** Reads the saved runs; call once when the page starts. */
  async init(models: readonly string[]): Promise<void> {
    if (this.options.policies.length === 0) this.options.policies = [...models];
    if (!this.options.estimator) this.options.estimator = models[models.length - 1] ?? '';
    if (!this.options.encoder) this.options.encoder = models[models.length - 1] ?? '';
    await this.refreshList();
  }

  /** Starts a run of the current options on `benchmark`. */
  async start(benchmark: RunBenchmark): Promise<void> {
    if (this.running) return;
    const o = plain(this.options);
    if (o.policies.length === 0 && this.#imported.length === 0) return this.fail('choose at least one policy');
    if (!o.estimator) return this.fail('choose an estimator');
    const settings: EvaluationSettings = {
      estimatorKind: o.estimatorKind,
      maxPairs: o.maxPairs,
      seed: o.seed,
      bootstrapReplicates: o.bootstrapReplicates,
      reasoning: o.reasoning,
      // rp-v1 has no place for r: reasoning always scores with est-v1.
      estimatorTemplate: o.reasoning === 'none' ? o.estimatorTemplate : 'est-v1',
      ...(o.limitPerCategory ? { limitPerCategory: o.limitPerCategory } : {}),
      ...(o.bound
        ? {
            bound: {
              encoder: `input-embeddings:${o.encoder}`,
              ...(o.hHatOverride !== null ? { hHatOverride: o.hHatOverride } : {}),
            },
          }
        : {}),
    };
    // An emptied or out-of-range field: said here, before any worker starts.
    const badSettings = checkEvaluationSettings(settings);
    if (badSettings.length > 0)
      return this.fail('these settings cannot run:\n' + badSettings.map(formatIssue).join('\n'));
    // Imported responses must answer every sample the run uses (the limit decides which).
    const wanted = selectedSamples(benchmark.benchmark, o.limitPerCategory ?? undefined).map((s) => s.id);
    const known = benchmark.benchmark.samples.map((s) => s.id);
    const importedPolicies = [];
    for (const file of this.#imported) {
      const parsed = parseResponsesText(file.text, wanted, { knownIds: known });
      if (!parsed.ok) {
        return this.fail(`${file.fileName} (${file.id}) was refused:\n` + parsed.errors.map(formatIssue).join('\n'));
      }
      const responses: Record<string, string> = Object.create(null);
      for (const id of wanted) responses[id] = parsed.responses[id]!;
      importedPolicies.push({ id: file.id, responses });
    }
    const thought = o.reasoning === 'generate' ? o.thought || o.estimator : null;
    const dtypes: Record<string, DType> = {};
    for (const name of [...o.policies, o.estimator, ...(thought ? [thought] : [])]) {
      const dtype = this.dtypeOf(name);
      if (dtype) dtypes[name] = dtype;
    }
    const job: EvaluationJob = {
      benchmark: benchmark.benchmark,
      benchmarkSource: { name: benchmark.name, sha256: benchmark.sha256 },
      policies: o.policies.map(modelRef),
      ...(importedPolicies.length > 0 ? { importedPolicies } : {}),
      estimator: modelRef(o.estimator),
      ...(o.bound ? { encoder: { kind: 'input-embeddings', model: o.encoder } as const } : {}),
      ...(thought ? { thought: modelRef(thought) } : {}),
      ...(Object.keys(dtypes).length > 0 ? { dtypes } : {}),
      settings,
      device: o.device,
    };
    const now = Date.now();
    await this.execute({ id: this.newId(), createdAt: now, updatedAt: now, status: 'running', job });
  }

  /** The one-click demo: the demo settings (shown in the form) on every bundled model. */
  async startDemo(benchmark: RunBenchmark, models: readonly string[]): Promise<void> {
    if (this.running) return;
    this.#imported = [];
    Object.assign(this.options, {
      ...DEFAULT_OPTIONS,
      ...DEMO_OPTIONS,
      policies: [...models],
      estimator: models[models.length - 1] ?? '',
      encoder: models[models.length - 1] ?? '',
    });
    await this.start(benchmark);
  }

  /** Runs a saved job again; what it had computed comes from the cache. */
  async resume(id: string): Promise<void> {
    if (this.running) return;
    const saved = await this.#read(id);
    if (!saved) return this.fail('that run is no longer saved');
    if (!saved.job) return this.fail('an imported results file cannot be run again here: its inputs are not saved');
    if ((await this.locks.held()).has(id)) return this.fail('that run is running in another tab');
    await this.execute({ ...saved, status: 'running', updatedAt: Date.now(), results: undefined, error: undefined });
  }

  /**
   * Imports a results file (exported from the app or written by `npm run evaluate`) as a saved
   * run, and shows it. A file with any problem is refused whole, every problem listed (`content`
   * is its text, or its bytes, which must be UTF-8).
   */
  async importResults(fileName: string, content: string | ArrayBuffer): Promise<void> {
    const text = textOf(content);
    if (!text.ok) return this.fail(`${fileName} is not a results file Rolescope can show: ${text.message}`);
    const parsed = parseResultsText(text.text);
    if (!parsed.ok) {
      return this.fail(
        `${fileName} is not a results file Rolescope can show:\n` + parsed.errors.map(formatIssue).join('\n'),
      );
    }
    const now = Date.now();
    const run: SavedRun = {
      id: this.newId(),
      createdAt: now,
      updatedAt: now,
      status: 'done',
      importedFrom: fileName,
      results: parsed.file,
    };
    this.#storageProblem = null;
    await this.#save(run);
    this.#viewed = run;
    this.#phase = 'idle';
    this.#error = '';
    await this.refreshList();
  }

  /** Stops the run in progress (its worker is terminated); finished work stays cached. */
  cancel(): void {
    this.#controller?.abort();
  }

  async open(id: string): Promise<void> {
    const saved = await this.#read(id);
    this.#viewed = saved?.results ? saved : null;
    // A run read back from the browser is saved; the warning was about another one.
    if (saved && !this.running) this.#storageProblem = null;
  }

  async remove(id: string): Promise<void> {
    if (id === this.#currentId) return;
    try {
      await this.records.delete(id);
    } catch (error) {
      return this.fail(`the run could not be deleted: ${(error as Error).message}`);
    }
    if (this.#viewed?.id === id) this.#viewed = null;
    await this.refreshList();
  }

  /**
   * Runs `run` holding its lock, so other tabs list it as running here; the list is read again
   * once the lock is released (while held, this page's own run would read as running elsewhere).
   */
  private async execute(run: SavedRun): Promise<void> {
    await this.locks.hold(run.id, () => this.executeHeld(run));
    await this.refreshList();
  }

  private async executeHeld(run: SavedRun): Promise<void> {
    const controller = new AbortController();
    this.#controller = controller;
    this.#currentId = run.id;
    this.#phase = 'running';
    this.#error = '';
    this.#stages = [];
    this.#partialRows = [];
    this.#tokensComputed = 0;
    this.#cacheHits = 0;
    this.#runStartedAt = this.#now = Date.now();
    this.#storageProblem = null;
    await this.#save(run);
    await this.refreshList();
    this.#notice = '';
    try {
      const results = await this.runWithRestarts(run, controller.signal);
      const finished: SavedRun = { ...run, status: 'done', updatedAt: Date.now(), results };
      // Shown whether or not the browser could store it: unsaved results are offered for download.
      this.#viewed = finished;
      await this.#save(finished);
      this.#phase = 'done';
    } catch (error) {
      const e = error as Error;
      const cancelled = controller.signal.aborted;
      const message = cancelled ? '' : `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
      await this.#save({
        ...run,
        status: cancelled ? 'cancelled' : 'failed',
        updatedAt: Date.now(),
        ...(message ? { error: message } : {}),
      });
      this.#phase = cancelled ? 'cancelled' : 'failed';
      this.#error = message;
    } finally {
      this.#controller = null;
      this.#currentId = null;
    }
  }

  /**
   * Runs the job; when the worker dies under it (out of memory, an uncaught error) or a model's
   * WebGPU device is lost, starts it again: everything it had finished is in the cache, so the
   * run goes on from there (on wasm, after a lost device).
   */
  private async runWithRestarts(run: SavedRun, signal: AbortSignal): Promise<ResultsFile> {
    let job = plain(run.job!);
    for (let restarts = 0; ; restarts++) {
      try {
        return await this.runner.run(job, (p) => this.onProgress(p), signal);
      } catch (error) {
        const e = error as Error;
        const restartable = e?.name === 'EvaluationWorkerError' || e?.name === 'DeviceLostError';
        if (signal.aborted || !restartable || restarts >= MAX_WORKER_RESTARTS) throw error;
        const times = restarts > 0 ? ` (${restarts + 1} times)` : '';
        if (e.name === 'DeviceLostError') {
          // The worker's onnxruntime is unusable after a lost device: a fresh worker, on wasm.
          this.runner.terminate?.();
          job = { ...job, device: 'wasm' };
          this.#notice =
            `${e.message}. The run goes on on wasm in a fresh worker${times}; what the GPU had computed ` +
            'is cached apart (each device keeps its own results) and is computed again.';
        } else {
          this.#notice = `${e.message}. It was restarted${times}, and the run goes on from what was already computed.`;
        }
      }
    }
  }

  private onProgress(p: RunProgress): void {
    if (p.storage) this.#reportStorage(p.storage);
    if (p.rows) {
      // A restarted worker sends finished categories again (from the cache): each keeps its place.
      const rows = [...this.#partialRows];
      for (const row of p.rows) {
        const at = rows.findIndex((r) => r.policy === row.policy && r.category === row.category);
        if (at >= 0) rows[at] = row;
        else rows.push(row);
      }
      this.#partialRows = rows;
    }
    const now = Date.now();
    this.#now = now;
    this.#tokensComputed = p.tokensComputed;
    this.#cacheHits = p.cacheHits;
    // Scoring reports per category: one bar per category keeps each ETA honest.
    const key = `${p.stage}:${p.subject}`;
    const stages = [...this.#stages];
    const at = stages.findIndex((s) => s.key === key);
    const startedAt = at >= 0 ? stages[at]!.startedAt : now;
    const next: StageProgress = {
      key,
      stage: p.stage,
      subject: p.subject,
      done: p.done,
      total: p.total,
      startedAt,
      updatedAt: now,
    };
    if (at >= 0) stages[at] = next;
    else stages.push(next);
    this.#stages = stages;
  }

  private fail(message: string): void {
    this.#phase = 'failed';
    this.#error = message;
  }

  /** Stores a run; when the browser will not, the run stays in memory and the problem is said. */
  async #save(run: SavedRun): Promise<void> {
    try {
      await this.records.put(run);
      this.onStorageSaved();
    } catch (error) {
      this.#reportStorage(storageProblemOf(error));
    }
  }

  async #read(id: string): Promise<SavedRun | undefined> {
    try {
      return await this.records.get(id);
    } catch (error) {
      this.#reportStorage(storageProblemOf(error));
      return undefined;
    }
  }

  #reportStorage(problem: StorageProblem): void {
    this.#storageProblem = worseProblem(this.#storageProblem, problem);
    this.onStorageProblem(problem);
  }

  /** Reads the saved runs' list again (runs finish, and other tabs start and end theirs). */
  async refreshList(): Promise<void> {
    let saved: RunSummary[];
    try {
      saved = await this.records.list();
      this.#listError = '';
    } catch (error) {
      const problem = storageProblemOf(error);
      this.onStorageProblem(problem);
      this.#listError = {
        unavailable:
          'Runs cannot be saved in this browser (it does not let Rolescope store data: a private window, or site data blocked). Download each run’s results to keep them.',
        outdated:
          'The saved runs cannot be read here: a newer Rolescope in another tab has upgraded the storage. Reload this page.',
        full: `The saved runs could not be read: ${(error as Error).message}`,
      }[problem];
      return;
    }
    const elsewhere = await this.locks.held();
    const statusOf = (r: RunSummary): RunListStatus =>
      r.status !== 'running' || r.id === this.#currentId ? r.status : elsewhere.has(r.id) ? 'elsewhere' : 'interrupted';
    this.#runs = saved.map((r) => ({
      id: r.id,
      createdAt: r.createdAt,
      status: statusOf(r),
      label: r.label,
      rerunnable: r.rerunnable,
    }));
  }
}
