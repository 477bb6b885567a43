/**
 * The last step of a load: context sharing checked on the model just loaded against whole
 * sequences, on the probe (sharing-probe.ts), and the scoring path the model then takes.
 */
import type { DType, SharingProbe } from '../../src/protocol/model-service.js';
import type { ScoreSettings } from './config.js';
import { responseTokens, type Loaded } from './loaded.js';
import { prepare, type GroupMemo } from './prepare.js';
import { scoreSharedContext } from './score-shared.js';
import { largestDifference, PROBE_GROUP, probeAgreed, probeNote, probeToleranceNats } from './sharing-probe.js';
import { runBatch } from './whole-batch.js';

/**
 * The loaded model (its weights in `dtype`) with its scoring path settled and its load time
 * (since `started`) counted.
 * Our own models are tested by the suites; any other export is checked once, here. The probe
 * also meets a GroupQueryAttention graph's refusal of several rows where its file was unread.
 */
export async function settleScoring(
  settings: ScoreSettings,
  current: Loaded,
  dtype: DType,
  started: number,
): Promise<Loaded> {
  const { ref, deviceNote } = current.info;
  const shares = current.canShareContext;
  const { rowCoupled } = current;
  const sharingProbe =
    ref.source !== 'bundled' && shares && !rowCoupled ? await probeSharing(settings, current, dtype) : undefined;
  const agreed = !sharingProbe || probeAgreed(sharingProbe);
  const canShare = shares && agreed;
  const note = agreed ? deviceNote : [deviceNote, probeNote(sharingProbe)].filter(Boolean).join('; ');
  return {
    ...current,
    canShareContext: canShare,
    info: {
      ...current.info,
      ...(note ? { deviceNote: note } : {}),
      loadMs: performance.now() - started,
      scoring: rowCoupled
        ? 'alone'
        : !canShare
          ? 'whole'
          : current.suffixRows === 1
            ? 'shared-context-one-row'
            : 'shared-context',
      ...(sharingProbe ? { sharingProbe } : {}),
    },
  };
}

/**
 * Scores the probe context's responses continuing from the context's cache and each as a whole
 * sequence alone, on the model just loaded (sharing-probe.ts); undefined where there is nothing
 * to compare (the probe does not fit the model's template or window, or shares no context).
 */
async function probeSharing(settings: ScoreSettings, current: Loaded, dtype: DType): Promise<SharingProbe | undefined> {
  const toleranceNats = probeToleranceNats(dtype, current.info.device);
  const memo: GroupMemo = {};
  let sequences;
  try {
    sequences = PROBE_GROUP.responses.map((r) => prepare(current, PROBE_GROUP.context, r, '', memo));
  } catch {
    // A template that cannot render the probe (or a window too small for it) leaves nothing to compare.
    return undefined;
  }
  try {
    const shared = await scoreSharedContext(settings, current, sequences, false);
    if (!shared) return undefined;
    let maxAbsDiffNats = 0;
    for (const [i, sequence] of sequences.entries()) {
      const keep = current.canKeepLastLogits ? responseTokens(sequence) + 1 : 0;
      const [whole] = await runBatch(current, [sequence], sequence.ids.length, keep, false);
      maxAbsDiffNats = Math.max(maxAbsDiffNats, largestDifference(shared.scores[i]!.logProbs, whole!.logProbs));
    }
    return { maxAbsDiffNats, toleranceNats };
  } catch (error) {
    return { maxAbsDiffNats: NaN, toleranceNats, error: (error as Error).message };
  }
}
