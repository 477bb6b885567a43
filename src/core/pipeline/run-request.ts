/**
 * What a run works on, decided before any model loads: the samples it uses (the first
 * `limitPerCategory` of each category, or all), grouped by category, and the refusal of settings
 * that would silently compute something other than what was asked.
 */
import type { Benchmark, BenchmarkSample } from '../benchmark/format.js';
import type { EvaluationRequest } from './run-types.js';

/**
 * The samples a run uses, category by category in the benchmark's order: with a limit, the first
 * `limitPerCategory` of each category in file order. Hosts use it to know which samples imported
 * responses must answer.
 */
export function selectedSamples(benchmark: Benchmark, limitPerCategory?: number): BenchmarkSample[] {
  const byCategory = new Map<string, BenchmarkSample[]>();
  for (const c of benchmark.categories) byCategory.set(c.tag, []);
  for (const s of benchmark.samples) byCategory.get(s.category)!.push(s);
  return [...byCategory.values()].flatMap((samples) =>
    limitPerCategory === undefined ? samples : samples.slice(0, limitPerCategory),
  );
}

/** The selected samples by category tag, every category of the benchmark present (in its order). */
export function samplesByCategory(
  benchmark: Benchmark,
  selected: readonly BenchmarkSample[],
): Map<string, BenchmarkSample[]> {
  const byCategory = new Map<string, BenchmarkSample[]>();
  for (const c of benchmark.categories) byCategory.set(c.tag, []);
  for (const s of selected) byCategory.get(s.category)!.push(s);
  return byCategory;
}

/**
 * Refuses, before any model is loaded, settings that would silently compute something else:
 * reasoning with rp-v1 (its prompt has no place for r, so r would be ignored), the bound without
 * a text encoder, 'generate' without a thought model, and 'file' with samples that carry no r.
 */
export function checkRequest(request: EvaluationRequest, selected: readonly BenchmarkSample[]): void {
  const { reasoning, estimatorTemplate } = request.settings;
  if (reasoning !== 'none' && estimatorTemplate === 'rp-v1') {
    throw new RangeError(
      `reasoning "${reasoning}" needs the est-v1 estimator template: rp-v1 has no place for the reasoning r`,
    );
  }
  if (request.settings.bound && !request.encoder) {
    throw new RangeError('the bound needs a text encoder (request.encoder)');
  }
  if (reasoning === 'generate' && !request.thought) {
    throw new RangeError('reasoning "generate" needs a thought model (request.thought) to write r');
  }
  if (reasoning === 'file') {
    const missing = selected.filter((s) => s.reasoning === undefined);
    if (missing.length > 0)
      throw new RangeError(`${missing.length} samples have no reasoning r, e.g. sample ${missing[0]!.id}`);
  }
}
