/**
 * Response scores from token statistics: a response's tokens, their texts and their
 * log-probs, entropies and ranks, summed up; the statistics either handed back by the fused graph
 * or computed by the token-stats engine from gathered logits.
 */
import type { ResponseScore } from '../../src/protocol/model-service.js';
import { piecesFromPrefixes, summarizeLogProbs } from '../../src/core/index.js';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { TokenStatsBatch } from './token-stats.js';
import { responseTokens, type Loaded, type PreparedSequence } from './loaded.js';
import { decode } from './prepare.js';

/** Floats of logits gathered for one call of the token-stats engine (64 MiB). */
const TOKEN_STATS_FLOATS = 16 * 1024 * 1024;

/** A response to score: its sequence, and where the logits after each position are. */
export interface RowRequest {
  readonly sequence: PreparedSequence;
  /** The array and row holding the logits after position p (they predict the token at p + 1). */
  readonly logitsAt: (position: number) => readonly [Float32Array, number];
}

/**
 * The statistics as the fused graph hands them back (tokens with a larger logit, entropies that
 * rounding can leave just below 0), as the token-stats engine gives them.
 */
export function fromFused(stats: {
  readonly logProbs: Float32Array;
  readonly entropies: Float32Array;
  readonly larger: Float32Array;
}): TokenStatsBatch {
  return {
    logProbs: stats.logProbs,
    entropies: Float32Array.from(stats.entropies, (h) => Math.max(0, h)),
    ranks: Int32Array.from(stats.larger, (l) => l + 1),
  };
}

/**
 * Scores responses from their logits: each response token's row is gathered into one matrix
 * (in chunks that bound its size) and the statistics come from the token-stats engine.
 */
export async function scoreRows(current: Loaded, requests: readonly RowRequest[], withTexts: boolean) {
  const { tokenizer, info } = current;
  const vocab = info.vocabSize;
  const chunkTokens = Math.max(1, Math.floor(TOKEN_STATS_FLOATS / vocab));
  const scores: ResponseScore[] = [];
  for (let first = 0; first < requests.length;) {
    // Whole responses per chunk: at least one, then as many as fit.
    let last = first;
    let tokens = 0;
    do {
      tokens += responseTokens(requests[last]!.sequence);
      last++;
    } while (last < requests.length && tokens + responseTokens(requests[last]!.sequence) <= chunkTokens);
    const rows = new Float32Array(tokens * vocab);
    const targets = new Int32Array(tokens);
    let k = 0;
    for (const { sequence, logitsAt } of requests.slice(first, last)) {
      for (let p = sequence.span.start; p < sequence.span.end; p++, k++) {
        const [logits, row] = logitsAt(p - 1);
        rows.set(logits.subarray(row * vocab, (row + 1) * vocab), k * vocab);
        targets[k] = sequence.ids[p]!;
      }
    }
    const stats = await current.tokenStats(rows, targets, vocab);
    k = 0;
    for (const { sequence } of requests.slice(first, last)) {
      const n = responseTokens(sequence);
      scores.push(
        responseScore(
          tokenizer,
          sequence,
          {
            logProbs: stats.logProbs.slice(k, k + n),
            entropies: stats.entropies.slice(k, k + n),
            ranks: stats.ranks.slice(k, k + n),
          },
          withTexts,
        ),
      );
      k += n;
    }
    first = last;
  }
  return scores;
}

/** A response's score from its tokens' statistics (in order, one per response token). */
export function responseScore(
  tokenizer: PreTrainedTokenizer,
  { ids, span }: PreparedSequence,
  stats: TokenStatsBatch,
  withTexts: boolean,
): ResponseScore {
  const n = span.end - span.start;
  const prefixTexts = withTexts
    ? Array.from({ length: n }, (_, t) => decode(tokenizer, ids.slice(span.start, span.start + t + 1)))
    : [];
  return {
    tokenIds: Int32Array.from(ids.slice(span.start, span.end)),
    tokenTexts: piecesFromPrefixes(prefixTexts),
    ...stats,
    meanEntropy: summarizeLogProbs(stats.entropies).meanLogProb,
    ...summarizeLogProbs(stats.logProbs),
    contextTokens: span.start,
  };
}
