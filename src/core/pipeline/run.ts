/**
 * The R-EMID pipeline (docs/method.md section 3): policy responses, then (with reasoning
 * 'generate') the thought model's reasoning r for each sample, then estimator scores of matched
 * and mismatched pairs (and, for the null-prompt estimator, of every response after the null
 * context) for the policies' and the golden responses, then MI, EMI and R-EMID with bootstrap
 * intervals, then (when asked) the upper bound. Hosts supply the models (and cache what they
 * compute), so rerunning with the same inputs costs no model call. Each stage lives in a module of
 * its own beside this one (generation, scoring, summary, bound-stage); this one runs them in order
 * and is the pipeline's public entry point.
 */
import type { Benchmark, BenchmarkSample } from '../benchmark/format.js';
import type { MiEstimatorKind } from '../metrics/bootstrap.js';
import { boundStage } from './bound-stage.js';
import { policyResponses, writeReasoning } from './generation.js';
import { checkRequest, samplesByCategory, selectedSamples } from './run-request.js';
import type { EvaluationOutput, EvaluationRequest, PolicySpec } from './run-types.js';
import { scoreCategory, type ScoringPlan, type Table } from './scoring.js';
import { throwIfAborted, zeroCounts, type Counts, type Hooks } from './stage-context.js';
import { pointRow, summarize } from './summary.js';
import { GOLD, type FamilyRow, type PairRecord, type ResultRow } from './types.js';

export type { EvaluationCounts, EvaluationOutput, EvaluationRequest, PolicySpec, ThoughtSpec } from './run-types.js';
export { selectedSamples } from './run-request.js';
export { categorySeed } from './scoring.js';

/**
 * Scores every category in the benchmark's order. With `onRows`, each category's point rows (and
 * those of the categories it is the reference of) are told as soon as it is scored.
 */
async function scoreCategories(
  benchmark: Benchmark,
  policies: readonly PolicySpec[],
  plan: ScoringPlan,
  byCategory: ReadonlyMap<string, readonly BenchmarkSample[]>,
  counts: Counts,
  hooks: Hooks,
): Promise<{ scores: Map<string, Map<string, Table>>; sizes: Map<string, number>; pairs: PairRecord[] }> {
  const pairs: PairRecord[] = [];
  const scores = new Map<string, Map<string, Table>>();
  const sizes = new Map([...byCategory].map(([tag, samples]) => [tag, samples.length]));
  for (const category of benchmark.categories) {
    scores.set(
      category.tag,
      await scoreCategory(plan, category.tag, byCategory.get(category.tag)!, pairs, counts, hooks),
    );
    if (hooks.onRows) {
      const partial = benchmark.categories.filter((c) => scores.has(c.tag));
      hooks.onRows(
        partial
          .filter((c) => c === category || c.reference === category.tag)
          .flatMap((c) => policies.map((p) => pointRow(c, p.id, scores, sizes, plan.kind))),
      );
    }
  }
  return { scores, sizes, pairs };
}

/** Every policy's rows and family rows, with bootstrap intervals, policy by policy. */
function summarizeAll(
  request: EvaluationRequest,
  scored: Awaited<ReturnType<typeof scoreCategories>>,
  kind: MiEstimatorKind,
): { rows: ResultRow[]; families: FamilyRow[] } {
  const rows: ResultRow[] = [];
  const families: FamilyRow[] = [];
  for (const policy of request.policies) {
    const summary = summarize(request.benchmark, policy.id, scored.scores, scored.sizes, request.settings, kind);
    rows.push(...summary.rows);
    families.push(...summary.families);
  }
  return { rows, families };
}

export async function runEvaluation(request: EvaluationRequest, hooks: Hooks = {}): Promise<EvaluationOutput> {
  const { benchmark, policies, settings } = request;
  const kind = settings.estimatorKind ?? 'reference';
  const selected = selectedSamples(benchmark, settings.limitPerCategory);
  const byCategory = samplesByCategory(benchmark, selected);
  checkRequest(request, selected);
  const counts: Counts = zeroCounts();

  // 1. Policy responses.
  const responses: Record<string, Record<string, string>> = Object.create(null);
  const policyEntropies: Record<string, Record<string, number>> = Object.create(null);
  for (const policy of policies) {
    const entropies = settings.bound ? (policyEntropies[policy.id] = Object.create(null)) : undefined;
    responses[policy.id] = await policyResponses(policy, selected, counts, hooks, entropies);
  }

  // 2. Reasoning written by the thought model (after the policies: hosts may hold one model at a time).
  const written =
    settings.reasoning === 'generate' ? await writeReasoning(request.thought!, selected, counts, hooks) : undefined;

  // 3. Estimator scores of matched and mismatched pairs (and null-context ones), per category.
  throwIfAborted(hooks.signal);
  const plan: ScoringPlan = {
    estimator: await request.estimator.load(),
    settings,
    kind,
    responders: [GOLD, ...policies.map((p) => p.id)],
    responseOf: (responder, s) => (responder === GOLD ? s.goldenResponse : responses[responder]![s.id]!),
    reasoningOf: (s) =>
      settings.reasoning === 'file' ? s.reasoning : settings.reasoning === 'generate' ? written![s.id] : undefined,
  };
  const scored = await scoreCategories(benchmark, policies, plan, byCategory, counts, hooks);
  const { pairs } = scored;

  // 4. MI, EMI, R-EMID with intervals, per policy.
  const { rows, families } = summarizeAll(request, scored, kind);

  // 5. The upper bound and its validation.
  let bounded: Awaited<ReturnType<typeof boundStage>> | undefined;
  if (settings.bound) {
    throwIfAborted(hooks.signal);
    hooks.onProgress?.({ stage: 'bound', done: 0, total: 1 });
    bounded = await boundStage({
      rows,
      samples: byCategory,
      responses,
      pairs,
      policyEntropies,
      encoder: await request.encoder!.load(),
      ...(settings.bound.hHatOverride !== undefined ? { hHatOverride: settings.bound.hHatOverride } : {}),
    });
    hooks.onProgress?.({ stage: 'bound', done: 1, total: 1 });
  }
  return {
    responses,
    ...(written ? { reasoning: written } : {}),
    rows: bounded ? bounded.rows : rows,
    families,
    pairs,
    counts: { ...counts },
    ...(bounded ? { boundValidation: bounded.validation, policyEntropies } : {}),
  };
}
