/**
 * Scoring one context's responses with context sharing (shared-context.ts): the prefix they share
 * run once, then their suffixes in batches continuing from its cache, each batch scored from the
 * fused statistics or from its logits.
 */
import type { ResponseScore } from '../../src/protocol/model-service.js';
import { planBatches, type PlannedBatch } from '../../src/core/index.js';
import type { ScoreSettings } from './config.js';
import { DEFAULT_BUDGET } from './config.js';
import { responseTokens, type GroupScores, type Loaded, type PreparedSequence } from './loaded.js';
import { fromFused, responseScore, scoreRows } from './response-score.js';
import {
  commonPrefixLength,
  disposePrefix,
  runPrefix,
  runPrefixFused,
  runSuffixBatch,
  runSuffixStats,
  type PrefixPass,
} from './shared-context.js';
import type { OrtSession } from './token-stats.js';

/** GroupQueryAttention's refusal of several rows of several new tokens after a cache. */
const REFUSES_ROWS = /batch_size must be 1 when sequence_length > 1 and past context is given/;

/**
 * Scores one context's sequences continuing from a single pass over what they share: the
 * prefix once, then the suffixes in batches over the prefix's cache, keeping only response
 * positions. With the statistics fused into the graph (token-stats.ts), a batch hands back three
 * numbers per response token; otherwise its logits, gathered for the token-stats engine. Null
 * when the sequences share nothing to run once.
 */
export async function scoreSharedContext(
  settings: ScoreSettings,
  current: Loaded,
  sequences: readonly PreparedSequence[],
  withTexts: boolean,
): Promise<GroupScores | null> {
  const { model, tokenizer, info } = current;
  const fused = await current.fusedStats.get();
  // Fused, every response token's statistics come from a suffix row, so the prefix stops one
  // token before the earliest response; otherwise the prefix's last logits predict its first token.
  const shared = commonPrefixLength(
    sequences.map((s) => s.ids),
    Math.min(...sequences.map((s) => s.span.start)) - (fused ? 1 : 0),
  );
  if (shared < 1) return null;
  const prefixIds = sequences[0]!.ids.slice(0, shared);
  const prefix =
    (fused && (await runPrefixFused(fused, prefixIds, info.vocabSize))) ||
    (await runPrefix(model, prefixIds, info.vocabSize));
  if (!prefix) return null;
  const suffixes = sequences.map((s) => s.ids.slice(shared));
  const batches = planSuffixBatches(settings, current, sequences, suffixes, shared);
  const padId = Number(tokenizer.pad_token_id ?? tokenizer.eos_token_id ?? 0);
  const scores = new Array<ResponseScore>(sequences.length);
  let forwardTokens = shared;
  let refused = false;
  try {
    for (const batch of batches) {
      const rows = batch.indices.map((i) => suffixes[i]!);
      const keep = Math.min(batch.keepLast || batch.paddedLength, batch.paddedLength);
      forwardTokens += rows.length * batch.paddedLength;
      const pass: SuffixPass = { prefix, shared, batch, rows, keep, padId, sequences, withTexts };
      const batchScores = fused ? await scoreFusedBatch(current, fused, pass) : await scoreLogitsBatch(current, pass);
      batch.indices.forEach((i, r) => (scores[i] = batchScores[r]!));
    }
  } catch (error) {
    // Where the graph's operators could not be read (Hub downloads), its first refusal of
    // several rows says so: from then on one row per suffix pass.
    if (current.suffixRows === 1 || !REFUSES_ROWS.test((error as Error).message)) throw error;
    current.suffixRows = 1;
    refused = true;
  } finally {
    disposePrefix(prefix);
  }
  if (refused) return scoreSharedContext(settings, current, sequences, withTexts);
  return { scores, forwardTokens, batches: batches.length + 1, fused: fused !== null };
}

/** The suffixes' batches, each keeping the logits of its response positions. */
function planSuffixBatches(
  settings: ScoreSettings,
  current: Loaded,
  sequences: readonly PreparedSequence[],
  suffixes: readonly (readonly number[])[],
  shared: number,
): PlannedBatch[] {
  const budget = { ...DEFAULT_BUDGET, ...settings.batchBudget };
  const longest = Math.max(...suffixes.map((x) => x.length));
  return planBatches(
    sequences.map((s, i) => ({
      length: suffixes[i]!.length,
      // From the position before the response's first token, or the whole suffix when that is in the prefix.
      keepLast: Math.min(suffixes[i]!.length, s.ids.length - s.span.start + 1),
    })),
    {
      ...budget,
      // Every row carries a copy of the prefix's cache: bound rows × (prefix + suffix) tokens too.
      maxBatchSize: Math.max(
        1,
        Math.min(budget.maxBatchSize, Math.floor(budget.maxPaddedTokens / (shared + longest)), current.suffixRows),
      ),
      vocabSize: current.info.vocabSize,
      canKeepLastLogits: true,
    },
  );
}

/** One batch of suffixes after the prefix's `shared` tokens, keeping the last `keep` padded positions. */
interface SuffixPass {
  readonly prefix: PrefixPass;
  readonly shared: number;
  readonly batch: PlannedBatch;
  readonly rows: readonly (readonly number[])[];
  readonly keep: number;
  readonly padId: number;
  /** All of the context's sequences (the batch's indices point into them). */
  readonly sequences: readonly PreparedSequence[];
  readonly withTexts: boolean;
}

/** A batch's scores, in the batch's order, from the statistics the fused graph hands back. */
async function scoreFusedBatch(current: Loaded, fused: OrtSession, pass: SuffixPass): Promise<ResponseScore[]> {
  const { prefix, shared, batch, rows, keep, padId, sequences, withTexts } = pass;
  const run = await runSuffixStats(fused, prefix, rows, batch.paddedLength, keep, padId);
  const firstKept = batch.paddedLength - run.keptRows;
  return batch.indices.map((i, r) => {
    const sequence = sequences[i]!;
    // The statistics of the token at p sit at the kept position p − 1.
    const from = r * run.keptRows + (sequence.span.start - 1 - shared) - firstKept;
    const to = from + responseTokens(sequence);
    return responseScore(
      current.tokenizer,
      sequence,
      fromFused({
        logProbs: run.logProbs.slice(from, to),
        entropies: run.entropies.subarray(from, to),
        larger: run.larger.subarray(from, to),
      }),
      withTexts,
    );
  });
}

/**
 * A batch's scores, in the batch's order, from its logits: a response's first token is predicted
 * by the prefix's last logits where the response starts right after the prefix.
 */
async function scoreLogitsBatch(current: Loaded, pass: SuffixPass): Promise<ResponseScore[]> {
  const { prefix, shared, batch, rows, keep, padId, sequences, withTexts } = pass;
  const run = await runSuffixBatch(current.model, prefix, rows, batch.paddedLength, keep, padId);
  const firstKept = batch.paddedLength - run.keptRows;
  const rowScores = await scoreRows(
    current,
    batch.indices.map((i, r) => ({
      sequence: sequences[i]!,
      logitsAt: (p) =>
        p < shared ? [prefix.lastLogits!, 0] : [run.logits, r * run.keptRows + (p - shared) - firstKept],
    })),
    withTexts,
  );
  run.dispose();
  return rowScores;
}
