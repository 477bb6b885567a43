/**
 * The benchmark service: reads a benchmark file and validates it with the core, and converts
 * public role-play data into a benchmark. A plain object with no worker globals, so the same code
 * runs in the browser worker (workers/benchmark.worker.ts) and in Node (tests).
 */
import { appendDocument, serializeDocument, toDocument } from '../../src/core/benchmark/convert.js';
import type { Benchmark, BenchmarkDocument } from '../../src/core/benchmark/format.js';
import {
  IMPORT_SOURCE_KINDS,
  importSource,
  type ImportOptions,
  type ImportSourceKind,
  type SourceFile,
} from '../../src/core/benchmark/importers/index.js';
import { MAX_BENCHMARK_CHARS, validateBenchmarkText } from '../../src/core/benchmark/validate.js';
import { sha256Hex } from '../../src/core/hash.js';
import { decodeUtf8 } from '../../src/core/utf8.js';
import type {
  BenchmarkService,
  FileValidation,
  ImportFile,
  ImportOutcome,
  ValidationResult,
} from '../../src/protocol/benchmark-service.js';

/**
 * Files larger than this are refused from their size, before a byte is read. UTF-8 never takes
 * fewer bytes than UTF-16 code units, so a file within this limit is also within the validator's
 * MAX_BENCHMARK_CHARS, and the two limits read the same to a user.
 */
export const MAX_BENCHMARK_FILE_BYTES = MAX_BENCHMARK_CHARS;

/** Shown beside a refused conversion whose result lacks a shift's reference. */
export const REFERENCE_HINT =
  'a shift category needs its reference in the same benchmark: convert the reference (e.g. IDTest) first, then convert the shift with "add to the loaded benchmark"';

/** `314572800` → `300 MiB (314,572,800 bytes)`. */
export function describeBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  const short = mib >= 1 ? `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
  return `${short} (${bytes.toLocaleString('en')} bytes)`;
}

function refuse(message: string, path = '(file)'): ValidationResult {
  return { ok: false, errors: [{ path, message }], errorCount: 1, warnings: [] };
}

/** `Error: message` of anything thrown, never its stack. */
function describeError(error: unknown): string {
  const e = error as Error | null | undefined;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
}

/**
 * The text of a file, decoded strictly as UTF-8, or the refusal saying why not (`prefix` names
 * the file in the message when there are several).
 */
async function readText(file: Blob, maxBytes: number, prefix = ''): Promise<string | ValidationResult> {
  if (file.size > maxBytes) {
    return refuse(`${prefix}the file is ${describeBytes(file.size)}; at most ${describeBytes(maxBytes)} are accepted`);
  }
  let bytes: ArrayBuffer;
  try {
    bytes = await file.arrayBuffer();
  } catch (error) {
    return refuse(`${prefix}the file could not be read (${describeError(error)})`);
  }
  // Fatal decoding: a file in another encoding is refused rather than read as U+FFFD.
  const decoded = decodeUtf8(bytes);
  return decoded.ok ? decoded.text : refuse(`${prefix}${decoded.message}`);
}

/** Why options from the page cannot be used, or null. (The core would throw a RangeError.) */
function checkOptions(options: ImportOptions): string | null {
  const { turn, maxSamples, seed } = options;
  if (turn !== undefined && turn !== 'all' && !(Number.isInteger(turn) && turn >= 1))
    return `the turn must be a whole number from 1, or "all"; got ${JSON.stringify(turn)}`;
  if (maxSamples !== undefined && !(Number.isInteger(maxSamples) && maxSamples >= 1))
    return `the maximum number of samples must be a whole number from 1; got ${JSON.stringify(maxSamples)}`;
  if (seed !== undefined && !Number.isInteger(seed))
    return `the seed must be a whole number; got ${JSON.stringify(seed)}`;
  return null;
}

/** An accepted benchmark carries the SHA-256 of its text (the same hash `npm run evaluate` records). */
async function withHash(result: ValidationResult, text: string): Promise<FileValidation> {
  return result.ok ? { ...result, sha256: await sha256Hex(text) } : result;
}

export function createBenchmarkService(maxBytes = MAX_BENCHMARK_FILE_BYTES): BenchmarkService {
  return {
    async validateFile(file: Blob): Promise<FileValidation> {
      const text = await readText(file, maxBytes);
      if (typeof text !== 'string') return text;
      return withHash(validateBenchmarkText(text), text);
    },

    async importFiles(
      kind: ImportSourceKind,
      files: readonly ImportFile[],
      options: ImportOptions = {},
      base: Benchmark | null = null,
    ): Promise<ImportOutcome> {
      const refused = (result: ValidationResult, notes: readonly string[] = []): ImportOutcome => ({
        result,
        lacks: [],
        notes,
        text: null,
      });
      if (!IMPORT_SOURCE_KINDS.includes(kind)) {
        return refused(
          refuse(`unknown source "${String(kind)}" (expected ${IMPORT_SOURCE_KINDS.join(', ')})`, '(import)'),
        );
      }
      const badOption = checkOptions(options);
      if (badOption) return refused(refuse(badOption, '(import)'));
      // The converted benchmark holds every file's text, so the limit is on all of them together.
      const total = files.reduce((n, f) => n + f.file.size, 0);
      if (files.length > 1 && total > maxBytes) {
        return refused(
          refuse(`the files are ${describeBytes(total)} in all; at most ${describeBytes(maxBytes)} are accepted`),
        );
      }
      const sources: SourceFile[] = [];
      for (const { name, file } of files) {
        const text = await readText(file, maxBytes, files.length > 1 ? `${name}: ` : '');
        if (typeof text !== 'string') return refused(text);
        sources.push({ name, text });
      }

      let imported: ReturnType<typeof importSource>;
      let document: BenchmarkDocument;
      try {
        imported = importSource(kind, sources, options);
        document = base ? appendDocument(toDocument(base), imported.document) : imported.document;
      } catch (error) {
        // An ImportError's message is written for the user; anything else is a bug, told briefly.
        const message =
          (error as Error)?.name === 'ImportError'
            ? (error as Error).message
            : `the conversion failed (${describeError(error)})`;
        return refused(refuse(message, '(import)'));
      }
      const text = serializeDocument(document);
      const result = validateBenchmarkText(text);
      if (!result.ok) {
        const hint = result.errors.some((e) => /reference|compared with/.test(e.message)) ? [REFERENCE_HINT] : [];
        return { result, lacks: imported.lacks, notes: [...imported.notes, ...hint], text: null };
      }
      return { result: await withHash(result, text), lacks: imported.lacks, notes: imported.notes, text };
    },
  };
}
