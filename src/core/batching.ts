/**
 * Packing sequences into forward passes. Sequences are sorted longest first (as
 * lm-evaluation-harness does) so each batch pads little, and a batch grows only while both its
 * padded token count and the logits it materializes stay within budget: logits are
 * rows × vocabulary floats and dominate memory for large vocabularies.
 */

export interface BatchItem {
  /** Tokens in the sequence. */
  readonly length: number;
  /** Positions whose logits are needed, counted from the end of the sequence. */
  readonly keepLast: number;
}

export interface BatchBudget {
  /** Upper bound on batch rows × padded length. */
  readonly maxPaddedTokens: number;
  /** Upper bound on batch rows × logit rows × vocabulary size. */
  readonly maxLogitFloats: number;
  readonly vocabSize: number;
  /** Whether the graph can return only the last k positions' logits (`num_logits_to_keep`). */
  readonly canKeepLastLogits: boolean;
  /** Upper bound on rows per batch. */
  readonly maxBatchSize: number;
}

/** A batch of item indices, its padded length and the logit rows to keep (0 = all). */
export interface PlannedBatch {
  readonly indices: number[];
  readonly paddedLength: number;
  readonly keepLast: number;
}

/**
 * Padding is on the right, so a row's last k positions sit at different offsets from the padded
 * end: a batch keeps `paddedLength − min(length − keepLast)` rows, enough for every member.
 */
function keptRows(items: readonly BatchItem[], indices: readonly number[], paddedLength: number): number {
  let firstNeeded = Infinity;
  for (const i of indices) firstNeeded = Math.min(firstNeeded, items[i]!.length - items[i]!.keepLast);
  return paddedLength - firstNeeded;
}

export function planBatches(items: readonly BatchItem[], budget: BatchBudget): PlannedBatch[] {
  const order = items.map((_, i) => i).sort((a, b) => items[b]!.length - items[a]!.length || a - b);
  const batches: PlannedBatch[] = [];
  let current: number[] = [];
  const close = () => {
    if (!current.length) return;
    const paddedLength = items[current[0]!]!.length;
    const keep = budget.canKeepLastLogits ? keptRows(items, current, paddedLength) : 0;
    batches.push({ indices: current, paddedLength, keepLast: keep });
    current = [];
  };
  for (const i of order) {
    const candidate = [...current, i];
    const paddedLength = items[candidate[0]!]!.length;
    const logitRows = budget.canKeepLastLogits ? keptRows(items, candidate, paddedLength) : paddedLength;
    const fits =
      candidate.length <= budget.maxBatchSize &&
      candidate.length * paddedLength <= budget.maxPaddedTokens &&
      candidate.length * logitRows * budget.vocabSize <= budget.maxLogitFloats;
    if (fits || !current.length) current = candidate;
    else {
      close();
      current = [i];
    }
  }
  close();
  return batches;
}
