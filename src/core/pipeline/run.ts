/**
 * The R-EMID pipeline (method.md section 3): policy responses, then (with reasoning 'generate')
 * the thought model's reasoning r for each sample, then estimator scores of matched and
 * mismatched pairs (and, for the null-prompt estimator, of every response after the null
 * context) for the policies' and the golden responses, then MI, EMI and R-EMID with bootstrap
 * intervals. Hosts supply the models (and cache what they compute), so rerunning with the same
 * inputs costs no model call.
 */
import type { Benchmark, BenchmarkSample, ShiftFamily } from '../benchmark/format.js';
import { ESTIMATOR_RESPONSE_PREFIX, NULL_ROLE_PLAY_INPUT, estimatorMessages } from '../prompts/estimator-prompt.js';
import { estimateMi, remidWithIntervals, type CategoryScores, type MiEstimatorKind } from '../metrics/bootstrap.js';
import { mismatchedPairs } from '../metrics/pairs.js';
import type { ScoredPair } from '../metrics/mi.js';
import { rolePlayMessages, type ChatMessage, type RolePlayInput } from '../prompts/prompt.js';
import { thoughtMessages } from '../prompts/thought-prompt.js';
import { emi, remid } from '../metrics/mi.js';
import { nats } from '../units.js';
import type { BoundValidation } from '../bound/validation.js';
import { boundStage, type TextEncoder } from './bound-stage.js';
import { withOldestTurnsDropped } from './fit.js';
import {
  GOLD,
  POLICY_GENERATION,
  THOUGHT_GENERATION,
  type EvaluationModel,
  type EvaluationProgress,
  type EvaluationSettings,
  type FamilyRow,
  type PairRecord,
  type PairScore,
  type ResultRow,
  type ShiftName,
} from './types.js';

export interface PolicySpec {
  readonly id: string;
  /** Loads the model that answers; absent when `responses` are imported. */
  readonly load?: () => Promise<EvaluationModel>;
  /** Imported responses by sample ID, for models that cannot run here. */
  readonly responses?: Readonly<Record<string, string>>;
}

/** The model that writes the reasoning r with reasoning 'generate' (hosts wrap it in a cache). */
export interface ThoughtSpec {
  readonly id: string;
  readonly load: () => Promise<EvaluationModel>;
}

export interface EvaluationRequest {
  readonly benchmark: Benchmark;
  readonly policies: readonly PolicySpec[];
  readonly estimator: { readonly id: string; readonly load: () => Promise<EvaluationModel> };
  /** Required with reasoning 'generate', unused otherwise. */
  readonly thought?: ThoughtSpec;
  /** Required with `settings.bound`: embeds the texts the bound's divergences compare. */
  readonly encoder?: { readonly id: string; readonly load: () => Promise<TextEncoder> };
  readonly settings: EvaluationSettings;
}

export interface EvaluationCounts {
  /** Policy prompts whose oldest turns were dropped to fit the policy's window. */
  readonly truncatedPrompts: number;
  /** Thought prompts whose oldest turns were dropped to fit the thought model's window. */
  readonly truncatedThoughtPrompts: number;
  /** Estimator contexts whose oldest turns were dropped to fit its window. */
  readonly truncatedContexts: number;
  /**
   * Prompts too long for the policy (or thought) model even with only the last user query left:
   * the model cannot answer, so its response (or r) is empty.
   */
  readonly unanswerablePrompts: number;
  /** Empty policy responses (unanswerable prompts included): their pairs cannot be scored and are left out. */
  readonly emptyResponses: number;
  /** Pairs whose response does not fit the estimator's window even after the last query alone: left out. */
  readonly unscorablePairs: number;
}

export interface EvaluationOutput {
  /** Policy responses by policy id, then sample ID. */
  readonly responses: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * With reasoning 'generate': the r the thought model wrote, by sample ID (trimmed; possibly
   * empty). Absent otherwise.
   */
  readonly reasoning?: Readonly<Record<string, string>>;
  readonly rows: readonly ResultRow[];
  readonly families: readonly FamilyRow[];
  readonly pairs: readonly PairRecord[];
  readonly counts: EvaluationCounts;
  /** With `settings.bound`: the bound's correlation with R-EMID across rows, and whether it held. */
  readonly boundValidation?: BoundValidation;
  /**
   * With `settings.bound`: each model policy's mean predictive entropy over its own response, by
   * sample ID (nats per token; NaN where it could not be scored), the policy's half of Ĥ.
   */
  readonly policyEntropies?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

type Counts = { -readonly [K in keyof EvaluationCounts]: EvaluationCounts[K] };
type Hooks = {
  onProgress?: (p: EvaluationProgress) => void;
  /**
   * Each category's rows (one per policy) as soon as the category is scored: MI, EMI and R-EMID
   * (once its reference is scored) without intervals, which need every category's bootstrap.
   * The returned rows are the final word; these let a long run show its results as they come.
   */
  onRows?: (rows: readonly ResultRow[]) => void;
  signal?: AbortSignal;
};
type ScoreContext = (x: RolePlayInput) => { context: ChatMessage[]; responsePrefix?: string };
/** One responder's scores in one category, filled in as contexts are scored. */
type Table = { matched: number[]; mismatched: ScoredPair[]; nullScores?: number[] };

/**
 * Scores one context's responses in one call, dropping the oldest turns while it is too long.
 * When even the last user query leaves no room, each response is tried alone: those that still
 * do not fit come back undefined (unscorable), never as a number.
 */
async function scoreContext(
  estimator: EvaluationModel,
  source: RolePlayInput,
  wanted: readonly { text: string }[],
  render: ScoreContext,
): Promise<{ scores: (PairScore | undefined)[]; droppedTurns: number; unscorable: number }> {
  try {
    const fitted = await withOldestTurnsDropped(source, (x) =>
      estimator.score([{ ...render(x), responses: wanted.map((w) => w.text) }]),
    );
    return { scores: [...fitted.value[0]!], droppedTurns: fitted.droppedTurns, unscorable: 0 };
  } catch (error) {
    if ((error as Error).name !== 'ContextTooLongError') throw error;
  }
  const last = { ...source, dialogue: source.dialogue.slice(-1) };
  const scores: (PairScore | undefined)[] = [];
  for (const w of wanted) {
    try {
      scores.push((await estimator.score([{ ...render(last), responses: [w.text] }]))[0]![0]!);
    } catch (error) {
      if ((error as Error).name !== 'ContextTooLongError') throw error;
      scores.push(undefined);
    }
  }
  return {
    scores,
    droppedTurns: source.dialogue.length - 1,
    unscorable: scores.filter((s) => s === undefined).length,
  };
}

/** FNV-1a over `${seed}:${tag}`: each category's pairs depend on the seed and its tag alone. */
export function categorySeed(seed: number, tag: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${tag}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
}

const shiftOf = (family: ShiftFamily): ShiftName => (family === 'in-distribution' ? 'none' : family);

/**
 * Refuses, before any model is loaded, settings that would silently compute something else:
 * reasoning with rp-v1 (its prompt has no place for r, so r would be ignored), 'generate'
 * without a thought model, and 'file' with samples that carry no r.
 */
function checkRequest(request: EvaluationRequest, selected: readonly BenchmarkSample[]): void {
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

/**
 * A generation with the oldest turns dropped while the prompt is too long; when even the last user
 * query alone does not fit (a long persona or character in a script the tokenizer spends many
 * tokens on), the model cannot answer: the text is empty and the prompt is counted.
 */
async function answerOrNothing(
  s: BenchmarkSample,
  counts: Counts,
  generate: (x: RolePlayInput) => Promise<{ readonly text: string }>,
): Promise<{ value: { readonly text: string }; droppedTurns: number }> {
  try {
    return await withOldestTurnsDropped(s, generate);
  } catch (error) {
    if ((error as Error).name !== 'ContextTooLongError') throw error;
    counts.unanswerablePrompts++;
    return { value: { text: '' }, droppedTurns: 0 };
  }
}

/**
 * The policy's mean predictive entropy over its own response (teacher-forced after the same
 * prompt), nats per token: its half of the bound's Ĥ. NaN when the response cannot be scored.
 */
async function ownEntropy(model: EvaluationModel, s: BenchmarkSample, response: string): Promise<number> {
  try {
    const fitted = await withOldestTurnsDropped(s, (x) =>
      model.score([{ context: rolePlayMessages(x), responses: [response] }]),
    );
    return fitted.value[0]![0]!.meanEntropy ?? NaN;
  } catch (error) {
    if ((error as Error).name !== 'ContextTooLongError') throw error;
    return NaN;
  }
}

/** One policy's answers by sample ID: imported, or generated with the role-play prompt. */
async function policyResponses(
  policy: PolicySpec,
  selected: readonly BenchmarkSample[],
  counts: Counts,
  { onProgress, signal }: Hooks,
  entropies?: Record<string, number>,
): Promise<Record<string, string>> {
  if (policy.id === GOLD) throw new RangeError(`"${GOLD}" names the golden responses; pick another policy id`);
  const answers: Record<string, string> = Object.create(null); // sample IDs are data: "__proto__" must be a plain key
  if (policy.responses) {
    const missing = selected.filter((s) => policy.responses![s.id] === undefined);
    if (missing.length > 0) {
      throw new RangeError(`imported responses of ${policy.id} lack ${missing.length} samples, e.g. ${missing[0]!.id}`);
    }
    for (const s of selected) answers[s.id] = policy.responses[s.id]!;
  } else {
    if (!policy.load) throw new RangeError(`policy ${policy.id} has neither a model nor imported responses`);
    const model = await policy.load();
    for (const [k, s] of selected.entries()) {
      throwIfAborted(signal);
      const fitted = await answerOrNothing(s, counts, (x) => model.generate(rolePlayMessages(x), POLICY_GENERATION));
      if (fitted.droppedTurns > 0) counts.truncatedPrompts++;
      answers[s.id] = fitted.value.text.trim();
      if (entropies && answers[s.id]) entropies[s.id] = await ownEntropy(model, s, answers[s.id]!);
      onProgress?.({ stage: 'generate', policy: policy.id, done: k + 1, total: selected.length });
    }
  }
  counts.emptyResponses += selected.filter((s) => answers[s.id]!.trim() === '').length;
  return answers;
}

/**
 * The reasoning r of each sample, written by the thought model from x alone (thoughtMessages
 * takes no golden response), greedy, oldest turns dropped while the prompt is too long. An empty
 * r is kept as "": the estimator's context then has an empty core-features block, which is a
 * valid context (the model gave no features), not an error.
 */
async function writeReasoning(
  thought: ThoughtSpec,
  selected: readonly BenchmarkSample[],
  counts: Counts,
  { onProgress, signal }: Hooks,
): Promise<Record<string, string>> {
  const model = await thought.load();
  const written: Record<string, string> = Object.create(null);
  for (const [k, s] of selected.entries()) {
    throwIfAborted(signal);
    const fitted = await answerOrNothing(s, counts, (x) => model.generate(thoughtMessages(x), THOUGHT_GENERATION));
    if (fitted.droppedTurns > 0) counts.truncatedThoughtPrompts++;
    written[s.id] = fitted.value.text.trim();
    onProgress?.({ stage: 'reason', done: k + 1, total: selected.length });
  }
  return written;
}

/** What scoring one category needs. */
interface ScoringPlan {
  readonly estimator: EvaluationModel;
  readonly settings: EvaluationSettings;
  readonly kind: MiEstimatorKind;
  readonly responders: readonly string[];
  readonly responseOf: (responder: string, s: BenchmarkSample) => string;
  readonly reasoningOf: (s: BenchmarkSample) => string | undefined;
}

/** The estimator's context for an input with reasoning r (undefined: no core-features block). */
function estimatorContext(
  template: EvaluationSettings['estimatorTemplate'],
  x: RolePlayInput,
  reasoning: string | undefined,
): { context: ChatMessage[]; responsePrefix?: string } {
  if (template === 'rp-v1') return { context: rolePlayMessages(x) };
  return { context: estimatorMessages(x, reasoning), responsePrefix: ESTIMATOR_RESPONSE_PREFIX };
}

/**
 * Scores one category: every responder's matched response and the seeded mismatched pairs after
 * each context (one call per context), then, for the null-prompt estimator, every response after
 * the null context ∅ (one call). With reasoning on, ∅ carries an empty core-features block, so it
 * differs from a real context by content alone, never by shape.
 */
async function scoreCategory(
  plan: ScoringPlan,
  tag: string,
  samples: readonly BenchmarkSample[],
  pairs: PairRecord[],
  counts: Counts,
  { onProgress, signal }: Hooks,
): Promise<Map<string, Table>> {
  const { estimator, settings, responders, responseOf, reasoningOf } = plan;
  const n = samples.length;
  const withNull = plan.kind === 'null-prompt';
  const total = n + (withNull ? 1 : 0);
  const sampled = mismatchedPairs(n, settings.maxPairs, categorySeed(settings.seed, tag));
  const byContext = new Map<number, number[]>();
  for (const { i, j } of sampled) (byContext.get(i) ?? byContext.set(i, []).get(i)!).push(j);
  const tables = new Map<string, Table>(
    responders.map((r) => [
      r,
      {
        matched: new Array<number>(n).fill(NaN),
        mismatched: [],
        ...(withNull ? { nullScores: new Array<number>(n).fill(NaN) } : {}),
      },
    ]),
  );
  const record = (
    i: number,
    wanted: readonly { responder: string; j: number }[],
    scored: Awaited<ReturnType<typeof scoreContext>>,
  ) => {
    counts.unscorablePairs += scored.unscorable;
    scored.scores.forEach((score, k) => {
      if (!score) return;
      const { responder, j } = wanted[k]!;
      const table = tables.get(responder)!;
      if (i === -1) table.nullScores![j] = score.meanLogProb;
      else if (j === i) table.matched[i] = score.meanLogProb;
      else table.mismatched.push({ i, j, score: score.meanLogProb });
      // Matched pairs carry the estimator's predictive entropy (the bound's Ĥ is built from it).
      const entropy = i === j && score.meanEntropy !== undefined ? { meanEntropy: score.meanEntropy } : {};
      pairs.push({
        policy: responder,
        category: tag,
        i,
        j,
        meanLogProb: score.meanLogProb,
        tokens: score.tokens,
        ...entropy,
      });
    });
  };
  const wantedFor = (js: readonly number[]) =>
    responders.flatMap((responder) =>
      js.map((j) => ({ responder, j, text: responseOf(responder, samples[j]!) })).filter((w) => w.text.trim() !== ''),
    );
  for (let i = 0; i < n; i++) {
    throwIfAborted(signal);
    // One group per context: every responder's matched response and its mismatched ones.
    const wanted = wantedFor([i, ...(byContext.get(i) ?? [])]);
    const source = samples[i]!;
    const reasoning = reasoningOf(source);
    const scored = await scoreContext(estimator, source, wanted, (x) =>
      estimatorContext(settings.estimatorTemplate, x, reasoning),
    );
    if (scored.droppedTurns > 0) counts.truncatedContexts++;
    record(i, wanted, scored);
    onProgress?.({ stage: 'score', category: tag, done: i + 1, total });
  }
  if (withNull) {
    throwIfAborted(signal);
    const wanted = wantedFor(samples.map((_, j) => j));
    const nullReasoning = settings.reasoning === 'none' ? undefined : '';
    const scored = await scoreContext(estimator, NULL_ROLE_PLAY_INPUT, wanted, (x) =>
      estimatorContext(settings.estimatorTemplate, x, nullReasoning),
    );
    record(-1, wanted, scored);
    onProgress?.({ stage: 'score', category: tag, done: total, total });
  }
  return tables;
}

/** MI, EMI and R-EMID with intervals for one policy, per category and per shift family. */
/**
 * A category's row without its interval: MI, EMI, and R-EMID when its reference category is
 * scored (the same point estimates summarize gives).
 */
function pointRow(
  category: Benchmark['categories'][number],
  policy: string,
  scores: ReadonlyMap<string, ReadonlyMap<string, Table>>,
  sizes: ReadonlyMap<string, number>,
  kind: MiEstimatorKind,
): ResultRow {
  const mi = (tag: string, responder: string) =>
    nats(estimateMi(kind, scores.get(tag)!.get(responder)!, new Array<number>(sizes.get(tag)!).fill(1)));
  const emiOf = (tag: string) => emi(mi(tag, policy), mi(tag, GOLD));
  const reference = category.reference;
  return {
    policy,
    category: category.tag,
    shift: shiftOf(category.family),
    reference,
    n: sizes.get(category.tag)!,
    miModel: mi(category.tag, policy),
    miGold: mi(category.tag, GOLD),
    emi: emiOf(category.tag),
    remid: reference !== null && scores.has(reference) ? remid(emiOf(reference), emiOf(category.tag)) : null,
    remidCi: null,
  };
}

function summarize(
  benchmark: Benchmark,
  policy: string,
  scores: ReadonlyMap<string, ReadonlyMap<string, Table>>,
  sizes: ReadonlyMap<string, number>,
  settings: EvaluationSettings,
  kind: MiEstimatorKind,
): { rows: ResultRow[]; families: FamilyRow[] } {
  const shifts = benchmark.categories
    .filter((c) => c.reference !== null)
    .map((c) => ({ tag: c.tag, reference: c.reference! }));
  const familyTags: Record<string, string[]> = {};
  for (const c of benchmark.categories) if (c.reference !== null) (familyTags[c.family] ??= []).push(c.tag);
  const categoryScores: Record<string, CategoryScores> = {};
  for (const c of benchmark.categories) {
    const tables = scores.get(c.tag)!;
    categoryScores[c.tag] = { n: sizes.get(c.tag)!, model: tables.get(policy)!, gold: tables.get(GOLD)! };
  }
  const result = remidWithIntervals({
    categories: categoryScores,
    shifts,
    families: familyTags,
    replicates: settings.bootstrapReplicates,
    seed: settings.seed,
    estimator: kind,
  });
  const rows = benchmark.categories.map((c): ResultRow => {
    const s = categoryScores[c.tag]!;
    const ones = new Array<number>(s.n).fill(1);
    const interval = result.byCategory[c.tag];
    return {
      policy,
      category: c.tag,
      shift: shiftOf(c.family),
      reference: c.reference,
      n: s.n,
      miModel: nats(estimateMi(kind, s.model, ones)),
      miGold: nats(estimateMi(kind, s.gold, ones)),
      emi: result.emi[c.tag]!,
      remid: interval ? interval.estimate : null,
      remidCi: interval ? [interval.low, interval.high] : null,
    };
  });
  const families = Object.entries(familyTags).map(([family, tags]): FamilyRow => {
    const interval = result.byFamily[family]!;
    return {
      policy,
      family: family as FamilyRow['family'],
      n: tags.reduce((sum, t) => sum + categoryScores[t]!.n, 0),
      remid: interval.estimate,
      remidCi: [interval.low, interval.high],
    };
  });
  return { rows, families };
}

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

export async function runEvaluation(request: EvaluationRequest, hooks: Hooks = {}): Promise<EvaluationOutput> {
  const { benchmark, policies, settings } = request;
  const kind = settings.estimatorKind ?? 'reference';
  const selected = selectedSamples(benchmark, settings.limitPerCategory);
  const byCategory = new Map<string, BenchmarkSample[]>();
  for (const c of benchmark.categories) byCategory.set(c.tag, []);
  for (const s of selected) byCategory.get(s.category)!.push(s);
  checkRequest(request, selected);
  const counts: Counts = {
    truncatedPrompts: 0,
    truncatedThoughtPrompts: 0,
    unanswerablePrompts: 0,
    truncatedContexts: 0,
    emptyResponses: 0,
    unscorablePairs: 0,
  };

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
          .flatMap((c) => policies.map((p) => pointRow(c, p.id, scores, sizes, kind))),
      );
    }
  }

  // 4. MI, EMI, R-EMID with intervals, per policy.
  const rows: ResultRow[] = [];
  const families: FamilyRow[] = [];
  for (const policy of policies) {
    const summary = summarize(benchmark, policy.id, scores, sizes, settings, kind);
    rows.push(...summary.rows);
    families.push(...summary.families);
  }
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
