/**
 * The scoring stage of an evaluation run: for each category, the estimator's scores of every
 * responder's (each policy's and the golden) matched response and of the seeded mismatched pairs
 * after each context, and, for the null-prompt estimator, of every response after the null
 * context ∅. Contexts too long for the estimator lose their oldest turns; responses that still do
 * not fit are left out and counted, never scored as a number.
 */
import type { BenchmarkSample } from '../benchmark/format.js';
import type { MiEstimatorKind } from '../metrics/bootstrap.js';
import type { ScoredPair } from '../metrics/mi.js';
import { mismatchedPairs } from '../metrics/pairs.js';
import { ESTIMATOR_RESPONSE_PREFIX, NULL_ROLE_PLAY_INPUT, estimatorMessages } from '../prompts/estimator-prompt.js';
import { rolePlayMessages, type ChatMessage, type RolePlayInput } from '../prompts/prompt.js';
import { withOldestTurnsDropped } from './fit.js';
import { throwIfAborted, type Counts, type Hooks } from './stage-context.js';
import type { EvaluationModel, EvaluationSettings, PairRecord, PairScore } from './types.js';

/** One responder's scores in one category, filled in as contexts are scored. */
export type Table = { matched: number[]; mismatched: ScoredPair[]; nullScores?: number[] };

/** What scoring one category needs. */
export interface ScoringPlan {
  readonly estimator: EvaluationModel;
  readonly settings: EvaluationSettings;
  readonly kind: MiEstimatorKind;
  readonly responders: readonly string[];
  readonly responseOf: (responder: string, s: BenchmarkSample) => string;
  readonly reasoningOf: (s: BenchmarkSample) => string | undefined;
}

type ScoreContext = (x: RolePlayInput) => { context: ChatMessage[]; responsePrefix?: string };
/** A response wanted after one context: whose, which sample's, and its text. */
type Wanted = { responder: string; j: number; text: string };
type ScoredContext = { scores: (PairScore | undefined)[]; droppedTurns: number; unscorable: number };

/** FNV-1a over `${seed}:${tag}`: each category's pairs depend on the seed and its tag alone. */
export function categorySeed(seed: number, tag: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${tag}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

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
): Promise<ScoredContext> {
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

/** The estimator's context for an input with reasoning r (undefined: no core-features block). */
function estimatorContext(
  template: EvaluationSettings['estimatorTemplate'],
  x: RolePlayInput,
  reasoning: string | undefined,
): { context: ChatMessage[]; responsePrefix?: string } {
  if (template === 'rp-v1') return { context: rolePlayMessages(x) };
  return { context: estimatorMessages(x, reasoning), responsePrefix: ESTIMATOR_RESPONSE_PREFIX };
}

/** Empty tables, one per responder, for a category of `n` samples. */
function emptyTables(responders: readonly string[], n: number, withNull: boolean): Map<string, Table> {
  return new Map<string, Table>(
    responders.map((r) => [
      r,
      {
        matched: new Array<number>(n).fill(NaN),
        mismatched: [],
        ...(withNull ? { nullScores: new Array<number>(n).fill(NaN) } : {}),
      },
    ]),
  );
}

/**
 * Files one context's scores: in its responder's table (matched when `j === i`, after the null
 * context when `i === -1`, mismatched otherwise) and as pair records; unscorable ones are counted.
 */
function recordScores(
  tables: ReadonlyMap<string, Table>,
  pairs: PairRecord[],
  counts: Counts,
  tag: string,
  i: number,
  wanted: readonly Wanted[],
  scored: ScoredContext,
): void {
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
}

/**
 * Scores one category: every responder's matched response and the seeded mismatched pairs after
 * each context (one call per context), then, for the null-prompt estimator, every response after
 * the null context ∅ (one call). With reasoning on, ∅ carries an empty core-features block, so it
 * differs from a real context by content alone, never by shape.
 */
export async function scoreCategory(
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
  const tables = emptyTables(responders, n, withNull);
  const wantedFor = (js: readonly number[]): Wanted[] =>
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
    recordScores(tables, pairs, counts, tag, i, wanted, scored);
    onProgress?.({ stage: 'score', category: tag, done: i + 1, total });
  }
  if (withNull) {
    throwIfAborted(signal);
    const wanted = wantedFor(samples.map((_, j) => j));
    const nullReasoning = settings.reasoning === 'none' ? undefined : '';
    const scored = await scoreContext(estimator, NULL_ROLE_PLAY_INPUT, wanted, (x) =>
      estimatorContext(settings.estimatorTemplate, x, nullReasoning),
    );
    recordScores(tables, pairs, counts, tag, -1, wanted, scored);
    onProgress?.({ stage: 'score', category: tag, done: total, total });
  }
  return tables;
}
