/**
 * The benchmark panel's state: which benchmark is loaded, the last refusal, the category filter
 * and the selected sample. A file is taken whole or not at all: a refused file leaves the loaded
 * benchmark as it was, and its errors are kept beside it until the next load. Converted public
 * data (Xpersona, Synthetic-Persona-Chat, RoleBench) loads the same way, optionally added to the
 * loaded benchmark, and keeps the converted file for download.
 */
import type { Benchmark, BenchmarkSample } from '../../core/benchmark/format.js';
import type {
  BenchmarkFileFormat,
  ImportOptions,
  ImportOutcome,
  ImportSourceKind,
  ValidationIssue,
  FileValidation,
} from '../../protocol/benchmark-service.js';
import type { BenchmarkClient } from '../clients/benchmark-client.js';

/** `loading` and `refused` say what happened to the last file; a loaded benchmark may sit beside them. */
export type BenchmarkStatus = 'idle' | 'loading' | 'ready' | 'refused';

/** What the last (or current) load was: a benchmark file, or a conversion of public data. */
export type BenchmarkAction = 'load' | 'convert';

/** A loaded benchmark that was converted from public data. */
export interface BenchmarkConversion {
  readonly kind: ImportSourceKind;
  /** The source files' names. */
  readonly files: readonly string[];
  /** True when the samples were added to the benchmark loaded before. */
  readonly appended: boolean;
  readonly lacks: readonly string[];
  readonly notes: readonly string[];
  /** The converted benchmark file (JSON, object of splits), to download. */
  readonly file: Blob;
}

export interface ConversionRequest {
  readonly kind: ImportSourceKind;
  readonly files: readonly File[];
  /** Plain data: it is posted to the worker. */
  readonly options: ImportOptions;
  /** Add to the loaded benchmark (if any) instead of replacing it. */
  readonly append: boolean;
}

export interface LoadedBenchmark {
  /** The file's name (the bundled demo's is `demo-benchmark.json`). */
  readonly source: string;
  readonly format: BenchmarkFileFormat;
  readonly benchmark: Benchmark;
  readonly warnings: readonly ValidationIssue[];
  /** SHA-256 (hex) of the file's text, recorded in run manifests. */
  readonly sha256?: string;
  /** Present when the benchmark was converted from public data. */
  readonly conversion?: BenchmarkConversion;
}

export interface BenchmarkRefusal {
  readonly source: string;
  /** The first errors (the validator lists at most MAX_LISTED_ERRORS). */
  readonly errors: readonly ValidationIssue[];
  /** How many there were in all. */
  readonly errorCount: number;
  readonly warnings: readonly ValidationIssue[];
  /** What was refused: a benchmark file, or a conversion. */
  readonly action: BenchmarkAction;
  /** A conversion's notes (what was skipped, hints). */
  readonly notes: readonly string[];
}

export const DEMO_BENCHMARK_PATH = 'data/demo-benchmark.json';

export class BenchmarkState {
  #status = $state<BenchmarkStatus>('idle');
  #action = $state<BenchmarkAction>('load');
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
    private readonly client: Pick<BenchmarkClient, 'validateFile' | 'importFiles'>,
    /** Reads a file of the app's own origin, e.g. `data/demo-benchmark.json`. */
    private readonly fetchFile: (path: string) => Promise<Blob>,
  ) {}

  get status() {
    return this.#status;
  }
  /** Whether the last (or current) load is a file or a conversion. */
  get action() {
    return this.#action;
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
    return this.load(source, 'load', async (signal) => ({
      result: await this.client.validateFile(await this.fetchFile(DEMO_BENCHMARK_PATH), signal),
    }));
  }

  /** Validates a file the user chose or dropped; it replaces the loaded benchmark only if accepted. */
  loadFile(file: File): Promise<void> {
    return this.load(file.name, 'load', async (signal) => ({ result: await this.client.validateFile(file, signal) }));
  }

  /**
   * Converts public role-play data in the worker. With `append` and a loaded benchmark the
   * samples are added to it; either way the result replaces the loaded benchmark only if the
   * whole converted benchmark validates.
   */
  convert(request: ConversionRequest): Promise<void> {
    const base = request.append ? this.#loaded : null;
    const names = request.files.map((f) => f.name);
    const listed = names.length <= 3 ? names.join(', ') : `${names[0]} and ${names.length - 1} more files`;
    const source = base ? `${base.source} + ${listed}` : listed;
    return this.load(source, 'convert', async (signal) => {
      const outcome: ImportOutcome = await this.client.importFiles(
        request.kind,
        request.files.map((file) => ({ name: file.name, file })),
        request.options,
        base?.benchmark ?? null,
        signal,
      );
      const conversion: BenchmarkConversion | undefined =
        outcome.text === null
          ? undefined
          : {
              kind: request.kind,
              files: names,
              appended: base !== null,
              lacks: outcome.lacks,
              notes: outcome.notes,
              file: new Blob([outcome.text], { type: 'application/json' }),
            };
      return { result: outcome.result, notes: outcome.notes, conversion };
    });
  }

  /** Forgets the benchmark and any refusal, and stops a load in progress. */
  clear(): void {
    this.#controller?.abort();
    this.#controller = null;
    this.#status = 'idle';
    this.#action = 'load';
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

  private async load(
    source: string,
    action: BenchmarkAction,
    run: (
      signal: AbortSignal,
    ) => Promise<{ result: FileValidation; notes?: readonly string[]; conversion?: BenchmarkConversion }>,
  ): Promise<void> {
    // The latest file wins: a load still running is stopped (its worker is terminated).
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.#status = 'loading';
    this.#action = action;
    this.#source = source;
    try {
      const { result, notes = [], conversion } = await run(controller.signal);
      if (controller.signal.aborted) return;
      if (result.ok) {
        this.#loaded = {
          source,
          format: result.format,
          benchmark: result.benchmark,
          warnings: result.warnings,
          ...(result.sha256 ? { sha256: result.sha256 } : {}),
          ...(conversion ? { conversion } : {}),
        };
        this.#refusal = null;
        this.#category = null;
        this.#selectedId = null;
        this.#status = 'ready';
      } else {
        this.refuse(source, action, result.errors, result.errorCount, result.warnings, notes);
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      const e = error as Error;
      const message = `could not be ${action === 'convert' ? 'converted' : 'loaded'} (${e?.name ?? 'Error'}: ${e?.message ?? String(error)})`;
      this.refuse(source, action, [{ path: '(file)', message }], 1, [], []);
    } finally {
      if (this.#controller === controller) this.#controller = null;
    }
  }

  private refuse(
    source: string,
    action: BenchmarkAction,
    errors: readonly ValidationIssue[],
    errorCount: number,
    warnings: readonly ValidationIssue[],
    notes: readonly string[],
  ): void {
    this.#refusal = { source, errors, errorCount, warnings, action, notes };
    this.#status = 'refused';
  }
}
