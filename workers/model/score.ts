/**
 * The service's `score`: every (context, response) pair prepared, each context sent down the
 * loaded model's scoring path (alone, shared context, or whole sequences), the whole sequences
 * packed into batches by length, and the timings counted.
 */
import type { ResponseScore, ScoreGroup, ScoreOptions, ScoreResult } from '../../src/protocol/model-service.js';
import { planBatches, type PlannedBatch } from '../../src/core/index.js';
import { DEFAULT_BUDGET, type ScoreSettings } from './config.js';
import type { GroupScores, Loaded, PreparedSequence } from './loaded.js';
import { prepare, type GroupMemo } from './prepare.js';
import { scoreEachAlone } from './score-alone.js';
import { scoreSharedContext } from './score-shared.js';
import { runBatch } from './whole-batch.js';

/** Scores every group's responses on the loaded model. */
export async function scoreGroups(
  settings: ScoreSettings,
  current: Loaded,
  groups: readonly ScoreGroup[],
  options: ScoreOptions,
): Promise<ScoreResult> {
  const withTexts = options.tokenTexts ?? true;
  const started = performance.now();
  const prepared = groups.map((group) => {
    const memo: GroupMemo = {};
    return group.responses.map((response) => prepare(current, group.context, response, group.responsePrefix, memo));
  });
  const results: ResponseScore[][] = groups.map((g) => new Array<ResponseScore>(g.responses.length));
  let forwardTokens = 0;
  let batchCount = 0;
  let fusedSequences = 0;
  // A context with several responses is run once; the rest are packed as whole sequences.
  const flat: PreparedSequence[] = [];
  const owners: [number, number][] = [];
  for (const [g, sequences] of prepared.entries()) {
    const pending = scoreGroup(settings, current, sequences, withTexts);
    const shared = pending && (await pending);
    if (shared) {
      results[g] = shared.scores;
      if (shared.fused) fusedSequences += sequences.length;
      forwardTokens += shared.forwardTokens;
      batchCount += shared.batches;
    } else {
      sequences.forEach((sequence, r) => {
        flat.push(sequence);
        owners.push([g, r]);
      });
    }
  }
  const batches = planWholeBatches(settings, current, flat);
  for (const batch of batches) {
    const scores = await runBatch(
      current,
      batch.indices.map((i) => flat[i]!),
      batch.paddedLength,
      batch.keepLast,
      withTexts,
    );
    batch.indices.forEach((i, k) => {
      const [g, r] = owners[i]!;
      results[g]![r] = scores[k]!;
    });
    forwardTokens += batch.indices.length * batch.paddedLength;
  }
  return {
    groups: results,
    timings: {
      forwardMs: performance.now() - started,
      sequences: prepared.reduce((n, sequences) => n + sequences.length, 0),
      batches: batchCount + batches.length,
      forwardTokens,
      fusedSequences,
    },
  };
}

/**
 * One context's sequences down the model's path: each alone (row-coupled graphs), or continuing
 * from one pass over the context; null leaves them to be packed as whole sequences.
 */
function scoreGroup(
  settings: ScoreSettings,
  current: Loaded,
  sequences: readonly PreparedSequence[],
  withTexts: boolean,
): Promise<GroupScores | null> | null {
  if (current.rowCoupled) return scoreEachAlone(settings, current, sequences, withTexts);
  if (current.canShareContext && (sequences.length > 1 || !current.canKeepLastLogits)) {
    return scoreSharedContext(settings, current, sequences, withTexts);
  }
  return null;
}

/**
 * Whole sequences packed into batches by length, keeping the logits from the position before
 * each response on; the reference engine runs each alone, with logits at every position.
 */
function planWholeBatches(settings: ScoreSettings, current: Loaded, flat: readonly PreparedSequence[]): PlannedBatch[] {
  const reference = settings.engine === 'reference';
  return planBatches(
    flat.map(({ ids, span }) => ({ length: ids.length, keepLast: ids.length - span.start + 1 })),
    {
      ...DEFAULT_BUDGET,
      ...settings.batchBudget,
      ...(reference ? { maxBatchSize: 1 } : {}),
      vocabSize: current.info.vocabSize,
      canKeepLastLogits: current.canKeepLastLogits && !reference,
    },
  );
}
