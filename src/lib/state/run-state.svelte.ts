/**
 * The run panel's state: the settings of the next run, the run in progress (a progress bar per
 * stage with its ETA, tokens per second), the saved runs, and the results being viewed. The
 * pipeline runs in the evaluation worker; this class only starts, stops and records runs. Its
 * sub-concerns live beside it: the job (run-job), the progress (run-progress), the restarts of a
 * crashed worker (run-restarts), the saved runs' list (run-list) and storing runs (run-storage).
 */
import { formatIssue, parseResultsText } from '../../core/index.js';
import type { RunProgress, SavedRun } from '../../protocol/evaluation-service.js';
import type { DType } from '../../protocol/model-service.js';
import type { StorageProblem } from '../../storage/storage-fault.js';
import { buildJob, textOf, type ImportedResponses, type RunBenchmark } from './run-job.js';
import { SavedRunList } from './run-list.svelte.js';
import { browserRunLocks, type RunLocks } from './run-locks.js';
import {
  corlPreset,
  methodsPreset,
  DEFAULT_OPTIONS,
  defaultModels,
  DEMO_OPTIONS,
  type BundledModelInfo,
  type RunOptions,
} from './run-options.js';
import { RunProgressState } from './run-progress.svelte.js';
import { runWithRestarts } from './run-restarts.js';
import type { RunRecords, RunRunner } from './run-services.js';
import { RunStorage } from './run-storage.svelte.js';

export type { RunRecords, RunRunner } from './run-services.js';
export type { ImportedResponses, RunBenchmark } from './run-job.js';
export { corlPreset, methodsPreset, DEMO_OPTIONS, type BundledModelInfo, type RunOptions } from './run-options.js';
export { etaSeconds, type StageProgress } from './run-progress.svelte.js';
export type { RunListItem, RunListStatus } from './run-list.svelte.js';

export type RunPhase = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

/** Plain data for IndexedDB and postMessage: Svelte's $state proxies cannot be cloned. */
const plain = <T>(value: T): T => $state.snapshot(value) as T;

export class RunState {
  options = $state<RunOptions>({ ...DEFAULT_OPTIONS });
  #phase = $state<RunPhase>('idle');
  #error = $state('');
  #notice = $state('');
  #viewed = $state.raw<SavedRun | null>(null);
  #imported = $state.raw<readonly ImportedResponses[]>([]);
  #currentId: string | null = null;
  #controller: AbortController | null = null;
  readonly #progress = new RunProgressState();
  readonly #storage: RunStorage;
  readonly #list: SavedRunList;

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
  ) {
    // Through arrows: the page sets the storage callbacks after the state is made.
    const onProblem = (problem: StorageProblem) => this.onStorageProblem(problem);
    this.#storage = new RunStorage(records, onProblem, () => this.onStorageSaved());
    this.#list = new SavedRunList(records, locks, () => this.#currentId, onProblem);
  }

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
    return this.#storage.problem;
  }
  /** Why the saved runs cannot be listed (the browser stores nothing); '' when they can. */
  get listError() {
    return this.#list.error;
  }
  /** The results so far of the run in progress, in the order their categories finished. */
  get partialRows() {
    return this.#progress.partialRows;
  }

  get stages() {
    return this.#progress.stages;
  }
  get running() {
    return this.#phase === 'running';
  }
  get runs() {
    return this.#list.runs;
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
    return this.#progress.cacheHits;
  }
  /** Model tokens per second since the run started (cached work costs none). */
  get tokensPerSecond(): number {
    return this.#progress.tokensPerSecond;
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

  /**
   * Fills the unset settings with the defaults for the bundled models (the role-play models as
   * policies, the last of them scoring and encoding) and reads the saved runs; call once when the
   * page starts.
   */
  async init(bundled: readonly BundledModelInfo[]): Promise<void> {
    const defaults = defaultModels(bundled);
    if (this.options.policies.length === 0) this.options.policies = defaults.policies;
    if (!this.options.estimator) this.options.estimator = defaults.estimator;
    if (!this.options.encoder) this.options.encoder = defaults.encoder;
    await this.refreshList();
  }

  /**
   * Sets the estimator fields to the bundled CoRL pair (see corlPreset); the policies, sampling and
   * bound settings stay. Returns false, changing nothing, when the pair is not bundled or a run is
   * in progress.
   */
  useCorl(bundled: readonly BundledModelInfo[]): boolean {
    const preset = corlPreset(bundled);
    if (!preset || this.running) return false;
    Object.assign(this.options, preset);
    return true;
  }

  /**
   * Sets the policies to the training-method comparison's and the estimator to the CoRL pair's
   * where bundled (see methodsPreset); false, changing nothing, without method policies or while
   * a run is in progress.
   */
  useMethods(bundled: readonly BundledModelInfo[]): boolean {
    const preset = methodsPreset(bundled);
    if (!preset || this.running) return false;
    Object.assign(this.options, preset);
    return true;
  }

  /**
   * Starts a run of the current options on `benchmark`; settings that cannot run, or imported
   * responses that do not answer every sample the run uses, fail it before any worker starts.
   */
  async start(benchmark: RunBenchmark): Promise<void> {
    if (this.running) return;
    const built = buildJob(plain(this.options), benchmark, this.#imported, (name) => this.dtypeOf(name));
    if (!built.ok) return this.fail(built.message);
    const now = Date.now();
    await this.execute({ id: this.newId(), createdAt: now, updatedAt: now, status: 'running', job: built.job });
  }

  /**
   * The one-click demo: the demo settings (shown in the form) with the default models of the
   * bundled ones (every role-play model a policy, the last one scoring and encoding).
   */
  async startDemo(benchmark: RunBenchmark, bundled: readonly BundledModelInfo[]): Promise<void> {
    if (this.running) return;
    this.#imported = [];
    Object.assign(this.options, { ...DEFAULT_OPTIONS, ...DEMO_OPTIONS, ...defaultModels(bundled) });
    await this.start(benchmark);
  }

  /** Runs a saved job again; what it had computed comes from the cache. */
  async resume(id: string): Promise<void> {
    if (this.running) return;
    const saved = await this.#storage.read(id);
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
    this.#storage.clear();
    await this.#storage.save(run);
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
    const saved = await this.#storage.read(id);
    this.#viewed = saved?.results ? saved : null;
    // A run read back from the browser is saved; the warning was about another one.
    if (saved && !this.running) this.#storage.clear();
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

  /** Reads the saved runs' list again (runs finish, and other tabs start and end theirs). */
  async refreshList(): Promise<void> {
    await this.#list.refresh();
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
    this.#progress.reset();
    this.#storage.clear();
    await this.#storage.save(run);
    await this.refreshList();
    this.#notice = '';
    try {
      const results = await runWithRestarts(
        this.runner,
        plain(run.job!),
        controller.signal,
        (p) => this.onProgress(p),
        (notice) => (this.#notice = notice),
      );
      const finished: SavedRun = { ...run, status: 'done', updatedAt: Date.now(), results };
      // Shown whether or not the browser could store it: unsaved results are offered for download.
      this.#viewed = finished;
      await this.#storage.save(finished);
      this.#phase = 'done';
    } catch (error) {
      const e = error as Error;
      const cancelled = controller.signal.aborted;
      const message = cancelled ? '' : `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
      await this.#storage.save({
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

  private onProgress(p: RunProgress): void {
    if (p.storage) this.#storage.report(p.storage);
    this.#progress.update(p);
  }

  private fail(message: string): void {
    this.#phase = 'failed';
    this.#error = message;
  }
}
