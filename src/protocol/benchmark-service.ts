/**
 * The benchmark worker's contract. Types only: the worker implements `BenchmarkService` and the
 * main thread talks to it through `BenchmarkClient`. Reading and validating a file of tens of
 * megabytes takes seconds of CPU, so it happens off the page's thread; a File is a Blob and Blobs
 * cross `postMessage` without being read, so the page never holds the file's text.
 */
import type { Benchmark } from '../core/benchmark/format.js';
import type { ImportOptions, ImportSourceKind } from '../core/benchmark/importers/index.js';
import type { ValidationResult } from '../core/benchmark/validate.js';

export type { BenchmarkFileFormat, ValidationIssue, ValidationResult } from '../core/benchmark/validate.js';
export type { ImportOptions, ImportSourceKind } from '../core/benchmark/importers/index.js';

/** The validator's verdict; an accepted file also carries the SHA-256 (hex) of its bytes, for run manifests. */
export type FileValidation = ValidationResult & { readonly sha256?: string };

/** A source file to convert: its name (Xpersona's language is read from it) and its bytes. */
export interface ImportFile {
  readonly name: string;
  readonly file: Blob;
}

/** What a conversion gave: the benchmark as validated, what the source lacks, and the file text. */
export interface ImportOutcome {
  /**
   * The validator's verdict on the converted benchmark (merged onto the base, if one was given);
   * a refusal (`ok: false`) when a file could not be read or converted, whose message then says why.
   */
  readonly result: FileValidation;
  /** Fields of the format the source cannot fill, e.g. `user_persona (Xpersona has only the bot persona)`. */
  readonly lacks: readonly string[];
  /** What was skipped or chosen, and hints on a refusal. */
  readonly notes: readonly string[];
  /** The benchmark file (object of splits, UTF-8 JSON) when `result.ok`; null otherwise. */
  readonly text: string | null;
}

export interface BenchmarkService {
  /**
   * Reads a benchmark file (JSON object of splits, JSON list of samples, or JSONL; UTF-8) and
   * validates it whole. Never throws: every problem is a refusal (`ok: false`) listing where and
   * what, including a file over the size limit (refused from its `size`, before reading), a file
   * that is not UTF-8 text, and a file that cannot be read at all.
   */
  validateFile(file: Blob): Promise<FileValidation>;

  /**
   * Converts public role-play data (Xpersona JSON, Synthetic-Persona-Chat CSV, RoleBench JSONL)
   * with the core's `importSource`, as `npm run import` does. With a `base` benchmark the converted
   * samples are added to it (`--append`: declarations merged, a split of the same name extended),
   * so that a shift category can sit beside its reference. The result is serialized and validated
   * whole. Never throws: files that are too large, not UTF-8 or of the wrong shape, options that
   * cannot be used and an undeclared custom tag are refusals whose message says why.
   */
  importFiles(
    kind: ImportSourceKind,
    files: readonly ImportFile[],
    options?: ImportOptions,
    base?: Benchmark | null,
  ): Promise<ImportOutcome>;
}
