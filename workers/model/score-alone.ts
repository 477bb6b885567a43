/**
 * Scoring for row-coupled graphs (dynamic int8: one quantization scale per pass), whose scores
 * would depend on what else runs in the same pass: every sequence runs alone, in fixed chunks
 * from its start, so its scores depend on its own tokens only.
 */
import type { ResponseScore } from '../../src/protocol/model-service.js';
import type { ScoreSettings } from './config.js';
import { runSequenceStats } from './chunked-pass.js';
import type { GroupScores, Loaded, PreparedSequence } from './loaded.js';
import { fromFused, responseScore } from './response-score.js';
import { scoreSharedContext } from './score-shared.js';

/** A row-coupled model's sequences, each alone (null where one of them cannot be). */
export async function scoreEachAlone(
  settings: ScoreSettings,
  current: Loaded,
  sequences: readonly PreparedSequence[],
  withTexts: boolean,
): Promise<GroupScores | null> {
  const out = { scores: [] as ResponseScore[], forwardTokens: 0, batches: 0, fused: true };
  for (const sequence of sequences) {
    const one = await scoreAlone(settings, current, sequence, withTexts);
    if (!one) return null;
    out.scores.push(one.scores[0]!);
    out.forwardTokens += one.forwardTokens;
    out.batches += one.batches;
    out.fused &&= one.fused;
  }
  return out;
}

/**
 * One sequence scored alone, in fixed chunks from its start (chunked-pass.ts, runSequenceStats),
 * for row-coupled graphs; where the statistics cannot be fused, its context then its response.
 */
async function scoreAlone(
  settings: ScoreSettings,
  current: Loaded,
  sequence: PreparedSequence,
  withTexts: boolean,
): Promise<GroupScores | null> {
  const fused = await current.fusedStats.get();
  const stats = fused && (await runSequenceStats(fused, sequence.ids, sequence.span.start, current.info.vocabSize));
  if (stats) {
    const score = responseScore(current.tokenizer, sequence, fromFused(stats), withTexts);
    return { scores: [score], forwardTokens: sequence.ids.length, batches: 1, fused: true };
  }
  return scoreSharedContext(settings, current, [sequence], withTexts);
}
