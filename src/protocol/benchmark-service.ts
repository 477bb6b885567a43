/**
 * The benchmark worker's contract. Types only: the worker implements `BenchmarkService` and the
 * main thread talks to it through `BenchmarkClient`. Reading and validating a file of tens of
 * megabytes takes seconds of CPU, so it happens off the page's thread; a File is a Blob and Blobs
 * cross `postMessage` without being read, so the page never holds the file's text.
 */
import type { ValidationResult } from '../core/benchmark/validate.js';

export type { BenchmarkFileFormat, ValidationIssue, ValidationResult } from '../core/benchmark/validate.js';

export interface BenchmarkService {
  /**
   * Reads a benchmark file (JSON object of splits, JSON list of samples, or JSONL; UTF-8) and
   * validates it whole. Never throws: every problem is a refusal (`ok: false`) listing where and
   * what, including a file over the size limit (refused from its `size`, before reading), a file
   * that is not UTF-8 text, and a file that cannot be read at all.
   */
  validateFile(file: Blob): Promise<ValidationResult>;
}
