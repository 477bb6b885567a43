/**
 * The benchmark panel's state: which benchmark is loaded, the last refusal, the category filter
 * and the selected sample. A file is taken whole or not at all: a refused file leaves the loaded
 * benchmark as it was, and its errors are kept beside it until the next load.
 */
import type { Benchmark, BenchmarkSample } from '../core/benchmark/format.js';
import type { BenchmarkFileFormat, ValidationIssue } from '../protocol/benchmark-service.js';
import type { BenchmarkClient } from './benchmark-client.js';

/** `loading` and `refused` say what happened to the last file; a loaded benchmark may sit beside them. */
export type BenchmarkStatus = 'idle' | 'loading' | 'ready' | 'refused';

export interface LoadedBenchmark {
  /** The file's name (the bundled demo's is `demo-benchmark.json`). */
  readonly source: string;
  readonly format: BenchmarkFileFormat;
  readonly benchmark: Benchmark;
  readonly warnings: readonly ValidationIssue[];
}

export interface BenchmarkRefusal {
  readonly source: string;
  /** The first errors (the validator lists at most MAX_LISTED_ERRORS). */
  readonly errors: readonly ValidationIssue[];
  /** How many there were in all. */
  readonly errorCount: number;
  readonly warnings: readonly ValidationIssue[];
}

export const DEMO_BENCHMARK_PATH = 'data/demo-benchmark.json';

export class BenchmarkState {
  #status = $state<BenchmarkStatus>('idle');
  /** The file being loaded, or the last one loaded or refused. */
  #source = $state('');
  #loaded = $state.raw<LoadedBenchmark | null>(null);
  #refusal = $state.raw<BenchmarkRefusal | null>(null);
  #category = $state<string | null>(null);
  #selectedId = $state<string | null>(null);
  #visible = $derived.by((): readonly BenchmarkSample[] => {
    const samples = this.#loaded?.benchmark.samples ?? [];
    const category = this.#category;
    return category === null ? samples : samples.filter((s) => s.category === category);
  });
  #selectedIndex = $derived(this.#selectedId === null ? -1 : this.#visible.findIndex((s) => s.id === this.#selectedId));
  #controller: AbortController | null = null;

  constructor(
    private readonly client: Pick<BenchmarkClient, 'validateFile'>,
    /** Reads a file of the app's own origin, e.g. `data/demo-benchmark.json`. */
    private readonly fetchFile: (path: string) => Promise<Blob>,
  ) {}

  get status() {
    return this.#status;
  }
  get source() {
    return this.#source;
  }
  get loaded() {
    return this.#loaded;
  }
  get refusal() {
    return this.#refusal;
  }
  /** The category the sample list is filtered to, or null for all. */
  get category() {
    return this.#category;
  }
  /** The loaded samples in the selected category (all of them without a filter), in file order. */
  get visibleSamples() {
    return this.#visible;
  }
  /** Index of the selected sample in `visibleSamples`, or -1. */
  get selectedIndex() {
    return this.#selectedIndex;
  }
  get selectedSample(): BenchmarkSample | null {
    return this.#visible[this.#selectedIndex] ?? null;
  }

  /** Loads the bundled demo benchmark from the app's own origin. */
  loadDemo(): Promise<void> {
    const source = DEMO_BENCHMARK_PATH.split('/').pop()!;
    return this.load(source, () => this.fetchFile(DEMO_BENCHMARK_PATH));
  }

  /** Validates a file the user chose or dropped; it replaces the loaded benchmark only if accepted. */
  loadFile(file: File): Promise<void> {
    return this.load(file.name, async () => file);
  }

  /** Forgets the benchmark and any refusal, and stops a load in progress. */
  clear(): void {
    this.#controller?.abort();
    this.#controller = null;
    this.#status = 'idle';
    this.#source = '';
    this.#loaded = null;
    this.#refusal = null;
    this.#category = null;
    this.#selectedId = null;
  }

  selectCategory(tag: string | null): void {
    this.#category = tag;
    if (tag !== null && this.selectedSample?.category !== tag) this.#selectedId = null;
  }

  selectSample(id: string | null): void {
    this.#selectedId = id;
  }

  private async load(source: string, read: () => Promise<Blob>): Promise<void> {
    // The latest file wins: a load still running is stopped (its worker is terminated).
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.#status = 'loading';
    this.#source = source;
    try {
      const blob = await read();
      const result = await this.client.validateFile(blob, controller.signal);
      if (controller.signal.aborted) return;
      if (result.ok) {
        this.#loaded = { source, format: result.format, benchmark: result.benchmark, warnings: result.warnings };
        this.#refusal = null;
        this.#category = null;
        this.#selectedId = null;
        this.#status = 'ready';
      } else {
        this.refuse(source, result.errors, result.errorCount, result.warnings);
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      const e = error as Error;
      const message = `could not be loaded (${e?.name ?? 'Error'}: ${e?.message ?? String(error)})`;
      this.refuse(source, [{ path: '(file)', message }], 1, []);
    } finally {
      if (this.#controller === controller) this.#controller = null;
    }
  }

  private refuse(
    source: string,
    errors: readonly ValidationIssue[],
    errorCount: number,
    warnings: readonly ValidationIssue[],
  ): void {
    this.#refusal = { source, errors, errorCount, warnings };
    this.#status = 'refused';
  }
}
