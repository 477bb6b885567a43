/**
 * What the benchmark worker must answer for a file's text: the core validator's verdict, and for
 * an accepted file the SHA-256 of its text, computed here independently with node:crypto.
 */
import { createHash } from 'node:crypto';
import { validateBenchmarkText } from '../../src/core/benchmark/validate.js';
import type { FileValidation } from '../../src/protocol/benchmark-service.js';

export function expectedValidation(text: string): FileValidation {
  const result = validateBenchmarkText(text);
  return result.ok ? { ...result, sha256: createHash('sha256').update(text, 'utf8').digest('hex') } : result;
}
