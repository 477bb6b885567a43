/**
 * The benchmark service: reads a benchmark file and validates it with the core. A plain object
 * with no worker globals, so the same code runs in the browser worker (workers/benchmark.worker.ts)
 * and in Node (tests).
 */
import { MAX_BENCHMARK_CHARS, validateBenchmarkText } from '../src/core/benchmark/validate.js';
import type { BenchmarkService, ValidationResult } from '../src/protocol/benchmark-service.js';

/**
 * Files larger than this are refused from their size, before a byte is read. UTF-8 never takes
 * fewer bytes than UTF-16 code units, so a file within this limit is also within the validator's
 * MAX_BENCHMARK_CHARS, and the two limits read the same to a user.
 */
export const MAX_BENCHMARK_FILE_BYTES = MAX_BENCHMARK_CHARS;

/** `314572800` → `300 MiB (314,572,800 bytes)`. */
export function describeBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  const short = mib >= 1 ? `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
  return `${short} (${bytes.toLocaleString('en')} bytes)`;
}

function refuse(message: string): ValidationResult {
  return { ok: false, errors: [{ path: '(file)', message }], errorCount: 1, warnings: [] };
}

export function createBenchmarkService(maxBytes = MAX_BENCHMARK_FILE_BYTES): BenchmarkService {
  return {
    async validateFile(file: Blob): Promise<ValidationResult> {
      if (file.size > maxBytes) {
        return refuse(`the file is ${describeBytes(file.size)}; at most ${describeBytes(maxBytes)} are accepted`);
      }
      let bytes: ArrayBuffer;
      try {
        bytes = await file.arrayBuffer();
      } catch (error) {
        const e = error as Error;
        return refuse(`the file could not be read (${e?.name ?? 'Error'}: ${e?.message ?? String(error)})`);
      }
      let text: string;
      try {
        // Fatal decoding: a file in another encoding is refused rather than read as U+FFFD.
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        return refuse('the file is not UTF-8 text (save it as UTF-8 and try again)');
      }
      return validateBenchmarkText(text);
    },
  };
}
