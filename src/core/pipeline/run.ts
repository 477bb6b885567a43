/**
 * The R-EMID pipeline (method.md section 3): policy responses, then estimator scores of matched
 * and mismatched pairs for the policies' and the golden responses, then MI, EMI and R-EMID with
 * bootstrap intervals. Hosts supply the models (and cache what they compute), so rerunning with
 * the same inputs costs no model call.
 */
import type { Benchmark, BenchmarkSample, ShiftFamily } from '../benchmark/format.js';
import { ESTIMATOR_RESPONSE_PREFIX, estimatorMessages } from '../estimator-prompt.js';
import { estimateMi, remidWithIntervals, type CategoryScores } from '../metrics/bootstrap.js';
import { mismatchedPairs } from '../metrics/pairs.js';
import type { ScoredPair } from '../metrics/mi.js';
import { rolePlayMessages, type ChatMessage, type RolePlayInput } from '../prompt.js';
import { nats } from '../units.js';
import { withOldestTurnsDropped } from './fit.js';
import {
  POLICY_GENERATION,
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

export interface EvaluationRequest {
  readonly benchmark: Benchmark;
  readonly policies: readonly PolicySpec[];
  readonly estimator: { readonly id: string; readonly load: () => Promise<EvaluationModel> };
  readonly settings: EvaluationSettings;
}

export interface EvaluationCounts {
  /** Policy prompts whose oldest turns were dropped to fit the policy's window. */
  readonly truncatedPrompts: number;
  /** Estimator contexts whose oldest turns were dropped to fit its window. */
  readonly truncatedContexts: number;
  /** Empty policy responses: their pairs cannot be scored and are left out. */
  readonly emptyResponses: number;
  /** Pairs whose response does not fit the estimator's window even after the last query alone: left out. */
  readonly unscorablePairs: number;
}

export interface EvaluationOutput {
  /** Policy responses by policy id, then sample ID. */
  readonly responses: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly rows: readonly ResultRow[];
  readonly families: readonly FamilyRow[];
  readonly pairs: readonly PairRecord[];
  readonly counts: EvaluationCounts;
}

export const GOLD = 'gold';

type ScoreContext = (x: RolePlayInput) => { context: ChatMessage[]; responsePrefix?: string };

/**
 * Scores one context's responses in one call, dropping the oldest turns while it is too long.
 * When even the last user query leaves no room, each response is tried alone: those that still
 * do not fit come back undefined (unscorable), never as a number.
 */
async function scoreContext(
  estimator: EvaluationModel,
  source: BenchmarkSample,
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

export async function runEvaluation(
  request: EvaluationRequest,
  hooks: { onProgress?: (p: EvaluationProgress) => void; signal?: AbortSignal } = {},
): Promise<EvaluationOutput> {
  const { benchmark, policies, settings } = request;
  const { onProgress, signal } = hooks;
  const kind = settings.estimatorKind ?? 'reference';
  const byCategory = new Map<string, BenchmarkSample[]>();
  for (const c of benchmark.categories) byCategory.set(c.tag, []);
  for (const s of benchmark.samples) byCategory.get(s.category)!.push(s);
  if (settings.limitPerCategory !== undefined) {
    for (const [tag, samples] of byCategory) byCategory.set(tag, samples.slice(0, settings.limitPerCategory));
  }
  const selected = [...byCategory.values()].flat();
  let truncatedPrompts = 0;
  let truncatedContexts = 0;
  let emptyResponses = 0;
  let unscorablePairs = 0;

  // 1. Policy responses.
  const responses: Record<string, Record<string, string>> = {};
  for (const policy of policies) {
    if (policy.id === GOLD) throw new RangeError(`"${GOLD}" names the golden responses; pick another policy id`);
    const answers: Record<string, string> = {};
    if (policy.responses) {
      const missing = selected.filter((s) => policy.responses![s.id] === undefined);
      if (missing.length > 0) {
        throw new RangeError(
          `imported responses of ${policy.id} lack ${missing.length} samples, e.g. ${missing[0]!.id}`,
        );
      }
      for (const s of selected) answers[s.id] = policy.responses[s.id]!;
    } else {
      if (!policy.load) throw new RangeError(`policy ${policy.id} has neither a model nor imported responses`);
      const model = await policy.load();
      for (const [k, s] of selected.entries()) {
        throwIfAborted(signal);
        const fitted = await withOldestTurnsDropped(s, (x) => model.generate(rolePlayMessages(x), POLICY_GENERATION));
        if (fitted.droppedTurns > 0) truncatedPrompts++;
        answers[s.id] = fitted.value.text.trim();
        onProgress?.({ stage: 'generate', policy: policy.id, done: k + 1, total: selected.length });
      }
    }
    emptyResponses += selected.filter((s) => answers[s.id]!.trim() === '').length;
    responses[policy.id] = answers;
  }

  // 2. Estimator scores of matched and mismatched pairs, per category.
  const estimator = await request.estimator.load();
  const responders = [GOLD, ...policies.map((p) => p.id)];
  const responseOf = (responder: string, s: BenchmarkSample) =>
    responder === GOLD ? s.goldenResponse : responses[responder]![s.id]!;
  const estimatorContext = (x: RolePlayInput, s: BenchmarkSample) => {
    if (settings.estimatorTemplate === 'rp-v1') return { context: rolePlayMessages(x) };
    const reasoning = settings.reasoning === 'file' ? s.reasoning : undefined;
    if (settings.reasoning === 'file' && reasoning === undefined)
      throw new RangeError(`sample ${s.id} has no reasoning r`);
    return { context: estimatorMessages(x, reasoning), responsePrefix: ESTIMATOR_RESPONSE_PREFIX };
  };
  const pairs: PairRecord[] = [];
  const scores = new Map<string, Map<string, { matched: number[]; mismatched: ScoredPair[] }>>();
  for (const category of benchmark.categories) {
    const samples = byCategory.get(category.tag)!;
    const n = samples.length;
    const sampled = mismatchedPairs(n, settings.maxPairs, categorySeed(settings.seed, category.tag));
    const byContext = new Map<number, number[]>();
    for (const { i, j } of sampled) (byContext.get(i) ?? byContext.set(i, []).get(i)!).push(j);
    const tables = new Map(
      responders.map((r) => [r, { matched: new Array<number>(n).fill(NaN), mismatched: [] as ScoredPair[] }]),
    );
    scores.set(category.tag, tables);
    for (let i = 0; i < n; i++) {
      throwIfAborted(signal);
      // One group per context: every responder's matched response and its mismatched ones.
      const wanted: { responder: string; j: number; text: string }[] = [];
      for (const responder of responders) {
        for (const j of [i, ...(byContext.get(i) ?? [])]) {
          const text = responseOf(responder, samples[j]!);
          if (text.trim() !== '') wanted.push({ responder, j, text });
        }
      }
      const source = samples[i]!;
      const scored = await scoreContext(estimator, source, wanted, (x) => estimatorContext(x, source));
      if (scored.droppedTurns > 0) truncatedContexts++;
      unscorablePairs += scored.unscorable;
      scored.scores.forEach((score, k) => {
        if (!score) return;
        const { responder, j } = wanted[k]!;
        const table = tables.get(responder)!;
        if (j === i) table.matched[i] = score.meanLogProb;
        else table.mismatched.push({ i, j, score: score.meanLogProb });
        pairs.push({
          policy: responder,
          category: category.tag,
          i,
          j,
          meanLogProb: score.meanLogProb,
          tokens: score.tokens,
        });
      });
      onProgress?.({ stage: 'score', category: category.tag, done: i + 1, total: n });
    }
  }

  // 3. MI, EMI, R-EMID with intervals, per policy.
  const rows: ResultRow[] = [];
  const families: FamilyRow[] = [];
  const shifts = benchmark.categories
    .filter((c) => c.reference !== null)
    .map((c) => ({ tag: c.tag, reference: c.reference! }));
  const familyTags: Record<string, string[]> = {};
  for (const c of benchmark.categories) if (c.reference !== null) (familyTags[c.family] ??= []).push(c.tag);
  for (const policy of policies) {
    const categoryScores: Record<string, CategoryScores> = {};
    for (const c of benchmark.categories) {
      const tables = scores.get(c.tag)!;
      categoryScores[c.tag] = {
        n: byCategory.get(c.tag)!.length,
        model: tables.get(policy.id)!,
        gold: tables.get(GOLD)!,
      };
    }
    const result = remidWithIntervals({
      categories: categoryScores,
      shifts,
      families: familyTags,
      replicates: settings.bootstrapReplicates,
      seed: settings.seed,
      estimator: kind,
    });
    for (const c of benchmark.categories) {
      const s = categoryScores[c.tag]!;
      const ones = new Array<number>(s.n).fill(1);
      const miModel = nats(estimateMi(kind, s.model, ones));
      const miGold = nats(estimateMi(kind, s.gold, ones));
      const interval = result.byCategory[c.tag];
      rows.push({
        policy: policy.id,
        category: c.tag,
        shift: shiftOf(c.family),
        reference: c.reference,
        n: s.n,
        miModel,
        miGold,
        emi: result.emi[c.tag]!,
        remid: interval ? interval.estimate : null,
        remidCi: interval ? [interval.low, interval.high] : null,
      });
    }
    for (const [family, tags] of Object.entries(familyTags)) {
      const interval = result.byFamily[family]!;
      families.push({
        policy: policy.id,
        family: family as FamilyRow['family'],
        n: tags.reduce((sum, t) => sum + categoryScores[t]!.n, 0),
        remid: interval.estimate,
        remidCi: [interval.low, interval.high],
      });
    }
  }
  return {
    responses,
    rows,
    families,
    pairs,
    counts: { truncatedPrompts, truncatedContexts, emptyResponses, unscorablePairs },
  };
}
